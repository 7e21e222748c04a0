// I6 as `loadtest --audit-wait` checks it (issue 16), against the live Kafka
// and FerretDB: the checker waits for an audit that is still archiving, and
// fails, naming what is missing, when the audit never catches up in time.
// Two actors: the checker polling the archive, and an archiver writing to it.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "adapters/file/file_archive.h"
#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/mongo/mongo_archive.h"
#include "adapters/mongo/mongo_store.h"
#include "adapters/redis/redis_client.h"
#include "roles/common/invariants.h"
#include "support/booking_events.h"
#include "support/live_invariant_checker.h"
#include "support/servers.h"
#include "wanderluxe/audit_record.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kEvents = 20;
constexpr seconds kReadBound{30};

// The topic's events as the audit would archive them.
std::vector<AuditRecord> ReadAsArchived(const Config& config) {
  auto consumer = KafkaConsumer::Create(config.kafka, testing::UniqueName("audit-verify"));
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Subscribe({config.kafka.requests_topic}).ok());
  std::vector<AuditRecord> records;
  const auto deadline = std::chrono::steady_clock::now() + kReadBound;
  while (records.size() < kEvents && std::chrono::steady_clock::now() < deadline) {
    auto polled = (*consumer)->Poll(milliseconds(200));
    if (polled.ok() && polled->has_value()) records.push_back(MakeAuditRecord(**polled, ""));
  }
  (*consumer)->Close();
  REQUIRE(records.size() == kEvents);
  return records;
}

// kEvents bookings published to topics, a database and a file archive of
// this run alone, and read back as the audit would archive them.
struct PublishedRun {
  explicit PublishedRun(const std::string& name)
      : run(testing::UniqueName(name)),
        property(testing::UniqueName("prop-" + name)),
        config(testing::LiveConfig({"mongo.database=" + run,
                                    "kafka.requests_topic=" + run + ".requests",
                                    "kafka.outcomes_topic=" + run + ".outcomes",
                                    "kafka.dlq_topic=" + run + ".dlq", "audit.dir=/tmp/" + run})) {
    REQUIRE(EnsureTopics(config.kafka, BookingTopics(config.kafka)).ok());
    testing::PublishBookings(config.kafka, config.kafka.requests_topic, property, "b-", kEvents,
                             1000, "user-1");
    records = ReadAsArchived(config);
    auto connected = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(connected.ok(), connected.status().ToString(),
                    " -- start it with scripts/stack up");
    redis = std::move(*connected);
  }

  const std::string run, property;
  const Config config;
  std::vector<AuditRecord> records;
  std::unique_ptr<RedisClient> redis;
};

// Both archives the default audit.sinks name.
struct Archives {
  explicit Archives(const Config& config) : config(config) {
    auto store = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString(), " -- start it with scripts/stack up");
    mongo = std::move(*store);
    auto opened = FileArchive::Open(config.audit.dir);
    REQUIRE(opened.ok());
    files = std::move(*opened);
  }
  ~Archives() {
    (void)mongo->DropCollection(config.audit.collection);
    std::filesystem::remove_all(config.audit.dir);
  }
  void Append(const std::vector<AuditRecord>& records) {
    CHECK(MongoArchive(*mongo, config.audit.collection).Append(records).ok());
    CHECK(files->Append(records).ok());
  }

  const Config config;
  std::unique_ptr<MongoStore> mongo;
  std::unique_ptr<FileArchive> files;
};

TEST_SUITE("integration.audit_verify") {
  TEST_CASE("I6 waits for an audit still archiving, and names what never arrived") {
    PublishedRun p("audit-verify");
    const std::vector<AuditRecord>& records = p.records;
    Archives archive(p.config);
    testing::LiveInvariantChecker checker(p.config, *p.redis, *archive.mongo);

    // Half archived, and the audit stalls: the bounded wait ends in a FAIL.
    const std::vector<AuditRecord> first(records.begin(), records.begin() + kEvents / 2);
    archive.Append(first);
    const InvariantResult stalled = checker.AwaitAudit({p.property}, seconds(2));
    CHECK(stalled.id == "I6");
    CHECK(stalled.verdict == InvariantResult::Verdict::kFail);
    CHECK_FALSE(stalled.details.empty());

    // The audit catches up while the checker waits: it sees it and passes.
    std::thread archiver([&] {
      // A slow audit, not a wait for readiness: the checker is meant to look
      // before this lands (its topic read alone takes about a second).
      std::this_thread::sleep_for(seconds(2));
      const std::vector<AuditRecord> rest(records.begin() + kEvents / 2, records.end());
      archive.Append(rest);
    });
    const auto started = std::chrono::steady_clock::now();
    const InvariantResult caught_up = checker.AwaitAudit({p.property}, kReadBound);
    archiver.join();
    CHECK(caught_up.verdict == InvariantResult::Verdict::kPass);
    CHECK(std::chrono::steady_clock::now() - started < kReadBound);
  }

  TEST_CASE("I6 names an event the file archive holds on two lines") {
    PublishedRun p("audit-twice");
    const std::vector<AuditRecord>& records = p.records;
    Archives archive(p.config);
    archive.Append(records);
    testing::LiveInvariantChecker checker(p.config, *p.redis, *archive.mongo);
    CHECK(checker.AwaitAudit({p.property}, seconds(0)).verdict == InvariantResult::Verdict::kPass);

    // A line written again behind the sink's back, as a sink without the
    // eventId check did for an event published twice.
    {
      std::filesystem::path day_file;
      for (const auto& entry : std::filesystem::directory_iterator(p.config.audit.dir)) {
        if (entry.path().extension() == ".jsonl") day_file = entry.path();  // not the lock file
      }
      REQUIRE_FALSE(day_file.empty());
      std::ofstream out(day_file, std::ios::app);
      out << records[3].ToJson() << "\n";
    }
    const InvariantResult twice = checker.AwaitAudit({p.property}, seconds(0));
    CHECK(twice.verdict == InvariantResult::Verdict::kFail);
    CHECK(std::any_of(twice.details.begin(), twice.details.end(), [&](const std::string& d) {
      return d.find(records[3].event_id + " x2") != std::string::npos;
    }));
  }
}

}  // namespace
}  // namespace wanderluxe
