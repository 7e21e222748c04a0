#include "roles/audit/audit_role.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <thread>

#include "adapters/file/file_archive.h"
#include "adapters/http/http_server.h"
#include "adapters/kafka/consumer_lag.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/mongo/mongo_archive.h"
#include "roles/common/admin_server.h"
#include "roles/common/credentials_check.h"
#include "roles/common/termination.h"
#include "wanderluxe/audit_archiver.h"

namespace wanderluxe {
namespace {

// Says when the audit gains and loses partitions: an audit that archives
// nothing after a broker bounce must be visible in its log (it holds none).
class AssignmentLog final : public RebalanceListener {
 public:
  void OnAssigned(const std::vector<TopicPartition>& partitions) override {
    spdlog::info("audit assigned {} partitions", partitions.size());
  }
  void OnRevoked(const std::vector<TopicPartition>& partitions) override {
    spdlog::info("audit revoked {} partitions", partitions.size());
  }
};

bool HasSink(const AuditConfig& config, const std::string& name) {
  return std::find(config.sinks.begin(), config.sinks.end(), name) != config.sinks.end();
}

// `wanderluxe audit trail <bookingId>`: the archive's history of one booking.
int RunTrail(const RoleContext& context, const std::string& booking_id) {
  const AuditConfig& audit = context.config.audit;
  Result<std::vector<std::string>> trail = Status::NotFound("no audit sink configured");
  std::unique_ptr<MongoStore> mongo;
  if (HasSink(audit, "mongo")) {
    auto store = MongoStore::Connect(context.config.mongo);
    if (!store.ok()) {
      spdlog::error("audit trail: {}", store.status().ToString());
      return kExitFailure;
    }
    mongo = std::move(*store);
    trail = MongoArchive(*mongo, audit.collection).Trail(booking_id);
  } else if (HasSink(audit, "file")) {
    trail = FileArchive::Trail(audit.dir, booking_id);
  }
  if (!trail.ok()) {
    spdlog::error("audit trail: {}", trail.status().ToString());
    return kExitFailure;
  }
  for (const std::string& line : *trail) std::printf("%s\n", line.c_str());
  if (trail->empty())
    std::fprintf(stderr, "no archived events for booking %s\n", booking_id.c_str());
  return trail->empty() ? kExitFailure : kExitOk;
}

int RunAudit(const RoleContext& context) {
  BlockTerminationSignals();
  const Config& config = context.config;
  if (Status s = CheckCredentials(config, /*uses_redis=*/false); !s.ok()) {
    spdlog::error("audit cannot start: {}", s.ToString());
    return kExitFailure;
  }
  const AuditConfig& audit = config.audit;
  std::vector<ArchiveSink*> sinks;
  std::unique_ptr<FileArchive> files;
  std::unique_ptr<MongoStore> mongo;
  std::unique_ptr<MongoArchive> mongo_archive;
  if (HasSink(audit, "file")) {
    FileArchiveMemory memory;
    memory.recent_ids = static_cast<size_t>(audit.file_dedup_ids);
    auto opened = FileArchive::Open(audit.dir, memory);
    if (!opened.ok()) {
      spdlog::error("audit file sink: {}", opened.status().ToString());
      return kExitFailure;
    }
    files = std::move(*opened);
    sinks.push_back(files.get());
  }
  if (HasSink(audit, "mongo")) {
    auto store = MongoStore::Open(config.mongo);
    if (!store.ok()) {
      spdlog::error("audit mongo sink: {}", store.status().ToString());
      return kExitFailure;
    }
    mongo = std::move(*store);
    mongo_archive = std::make_unique<MongoArchive>(*mongo, audit.collection);
    if (Status s = mongo_archive->EnsureIndexes(); !s.ok()) {
      spdlog::warn("audit indexes (will work without): {}", s.ToString());
    }
    sinks.push_back(mongo_archive.get());
  }
  AssignmentLog assignments;  // outlives the consumer
  auto consumer = KafkaConsumer::Create(config.kafka, audit.group_id, {}, &assignments);
  if (!consumer.ok()) {
    spdlog::error("audit consumer: {}", consumer.status().ToString());
    return kExitFailure;
  }
  if (Status s = (*consumer)->Subscribe({config.kafka.requests_topic, config.kafka.outcomes_topic});
      !s.ok()) {
    spdlog::error("audit subscribe: {}", s.ToString());
    return kExitFailure;
  }
  MetricsRegistry metrics;
  std::unique_ptr<HttpServer> admin = MakeAdminServer(
      audit.admin_host, audit.admin_port, metrics,
      [&] { PublishConsumerLag((*consumer)->handle(), metrics, "audit_consumer_lag"); });
  if (Status s = admin->Start(); !s.ok()) {
    spdlog::error("audit admin endpoint: {}", s.ToString());
    return kExitFailure;
  }
  AuditArchiver archiver(ArchiverOptions::From(audit), **consumer, sinks, metrics);
  std::atomic<bool> stop{false};
  std::thread worker([&] { archiver.Run(stop); });
  spdlog::info("audit archiving {} and {} as group {} into {} sink(s); admin on {}:{}",
               config.kafka.requests_topic, config.kafka.outcomes_topic, audit.group_id,
               sinks.size(), audit.admin_host, admin->port());
  std::optional<int> signo;
  while (!(signo = WaitForTermination(std::chrono::seconds(1)))) {
  }
  spdlog::info("signal {}: finishing the batch in hand", *signo);
  stop = true;
  worker.join();
  (*consumer)->Close();
  admin->Stop();
  spdlog::info("audit stopped");
  return kExitOk;
}

}  // namespace

RoleMain AddAuditCommand(CLI::App& command) {
  auto booking_id = std::make_shared<std::string>();
  CLI::App* trail =
      command.add_subcommand("trail", "print a booking's archived events, oldest first");
  trail->add_option("bookingId", *booking_id, "the booking")->required();
  return [trail, booking_id](const RoleContext& context) {
    if (trail->parsed()) return RunTrail(context, *booking_id);
    return RunAudit(context);
  };
}

}  // namespace wanderluxe
