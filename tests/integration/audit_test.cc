// The audit role against live Kafka and FerretDB: every event archived once,
// in files and in the collection, even when the archiver is SIGKILLed mid-run.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <thread>

#include "adapters/file/file_archive.h"
#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/kafka/kafka_producer.h"
#include "adapters/mongo/mongo_archive.h"
#include "support/child_process.h"
#include "support/servers.h"
#include "wanderluxe/audit_archiver.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

struct AuditFixture {
  Config config = testing::LiveConfig();
  std::string requests = testing::UniqueName("audit-requests");
  std::string outcomes = testing::UniqueName("audit-outcomes");
  std::string group = testing::UniqueName("audit-group");
  std::string collection = testing::UniqueName("audit_events");
  std::string dir = "/tmp/" + testing::UniqueName("wanderluxe-audit");
  std::unique_ptr<MongoStore> mongo;
  std::unique_ptr<KafkaProducer> producer;

  AuditFixture() {
    auto created = EnsureTopics(config.kafka, {{requests, 3, 1}, {outcomes, 3, 1}});
    REQUIRE_MESSAGE(created.ok(), "Kafka: ", created.status().ToString(),
                    " -- start it with scripts/stack up");
    auto store = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(store.ok(), "FerretDB: ", store.status().ToString(),
                    " -- start it with scripts/stack up");
    mongo = std::move(*store);
    auto p = KafkaProducer::Create(config.kafka);
    REQUIRE(p.ok());
    producer = std::move(*p);
  }
  ~AuditFixture() {
    (void)mongo->DropCollection(collection);
    std::filesystem::remove_all(dir);
  }

  // Event e-<i> of booking b-<i>; one in ten goes to the outcomes topic.
  void Produce(int from, int to) {
    for (int i = from; i < to; ++i) Publish(i, i % 10 == 0 ? outcomes : requests);
  }
  void Publish(int i, const std::string& topic) {
    const std::string id = "b-" + std::to_string(i);
    const std::string value = R"({"eventId":"e-)" + std::to_string(i) +
                              R"(","eventType":"BOOKING_INITIATED","payload":{"bookingId":")" + id +
                              R"("}})";
    REQUIRE(producer->Publish({topic, id, value, {}}, seconds(10)).ok());
  }
  // The audit role's command line, archiving this fixture's topics.
  std::vector<std::string> AuditArgs() const {
    std::vector<std::string> args = {"audit"};
    for (const std::string& set :
         {"kafka.requests_topic=" + requests, "kafka.outcomes_topic=" + outcomes,
          "audit.group_id=" + group, "audit.dir=" + dir, "audit.collection=" + collection,
          std::string("audit.admin_port=0")}) {
      args.push_back("--set");
      args.push_back(set);
    }
    return args;
  }
  int64_t Archived() { return mongo->Count(collection, "{}").value(); }

  // Lines in the file archive, and how many distinct eventIds they hold.
  std::pair<int64_t, size_t> FileLines() {
    int64_t lines = 0;
    std::set<std::string> ids;
    if (!std::filesystem::exists(dir)) return {0, 0};
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".jsonl") continue;  // the sink's lock file
      std::ifstream in(entry.path());
      for (std::string line; std::getline(in, line);) {
        ++lines;
        ids.insert(nlohmann::json::parse(line)["eventId"].get<std::string>());
      }
    }
    return {lines, ids.size()};
  }
};

// A sink that is down for `outage` from its first write, then stores.
class DownThenUpSink : public ArchiveSink {
 public:
  explicit DownThenUpSink(std::chrono::milliseconds outage) : outage_(outage) {}
  std::string name() const override { return "down-then-up"; }
  Status Append(const std::vector<AuditRecord>& records) override {
    const auto now = std::chrono::steady_clock::now();
    if (!first_) first_ = now;
    if (now - *first_ < outage_) return Status::Unavailable("sink down");
    stored += static_cast<int64_t>(records.size());
    return Status::Ok();
  }
  int64_t stored = 0;

 private:
  const std::chrono::milliseconds outage_;
  std::optional<std::chrono::steady_clock::time_point> first_;
};

class RevokeCounter final : public RebalanceListener {
 public:
  void OnAssigned(const std::vector<TopicPartition>&) override {}
  void OnRevoked(const std::vector<TopicPartition>& partitions) override {
    revoked += static_cast<int>(partitions.size());
  }
  int revoked = 0;
};

TEST_SUITE("integration.audit") {
  TEST_CASE("a sink down past max.poll.interval.ms: the member stays in its group and commits") {
    AuditFixture f;
    // The broker's smallest session; the poll interval as short as it may be.
    f.config.kafka.session_timeout_ms = 6000;
    f.config.kafka.max_poll_interval_ms = 6000;
    f.config.kafka.commit_timeout_ms = 5000;
    constexpr int kEvents = 20;
    f.Produce(0, kEvents);
    RevokeCounter revokes;
    auto consumer = KafkaConsumer::Create(f.config.kafka, f.group, {}, &revokes);
    REQUIRE(consumer.ok());
    REQUIRE((*consumer)->Subscribe({f.requests, f.outcomes}).ok());
    DownThenUpSink sink(std::chrono::milliseconds(9000));
    MetricsRegistry metrics;
    ArchiverOptions options;
    options.max_batch = 1000;
    options.max_batch_wait = std::chrono::milliseconds(3000);
    options.retry_max = std::chrono::milliseconds(1000);
    AuditArchiver archiver(options, **consumer, {&sink}, metrics);
    std::atomic<bool> stop{false};
    // Until the batch is in hand; then one RunOnce lasts the whole outage.
    REQUIRE(testing::WaitUntil([&] { return archiver.RunOnce(stop) > 0; }, seconds(60)));
    CHECK(metrics.GetCounter("audit_sink_failures_total", "")->value() > 0);
    CHECK(testing::WaitUntil(
        [&] {
          if (sink.stored < kEvents) archiver.RunOnce(stop);
          return sink.stored >= kEvents;
        },
        seconds(30)));
    CHECK(sink.stored == kEvents);
    // Still the same member: nothing revoked, and its commits were taken.
    CHECK(revokes.revoked == 0);
    int64_t committed = 0;
    for (const std::string& topic : {f.requests, f.outcomes}) {
      for (int32_t p = 0; p < 3; ++p) {
        auto offset = (*consumer)->QueryCommitted({topic, p}, seconds(10));
        REQUIRE_MESSAGE(offset.ok(), offset.status().ToString());
        if (*offset > 0) committed += *offset;
      }
    }
    CHECK(committed == kEvents);
    (*consumer)->Close();
  }

  TEST_CASE("N events produced are N archived, once each, in files and collection") {
    AuditFixture f;
    constexpr int kEvents = 300;
    f.Produce(0, kEvents);
    auto consumer = KafkaConsumer::Create(f.config.kafka, f.group);
    REQUIRE(consumer.ok());
    REQUIRE((*consumer)->Subscribe({f.requests, f.outcomes}).ok());
    auto files = FileArchive::Open(f.dir);
    REQUIRE(files.ok());
    MongoArchive mongo_archive(*f.mongo, f.collection);
    MetricsRegistry metrics;
    AuditArchiver archiver({}, **consumer, {files->get(), &mongo_archive}, metrics);
    std::atomic<bool> stop{false};
    CHECK(testing::WaitUntil(
        [&] {
          archiver.RunOnce(stop);
          return f.Archived() >= kEvents;
        },
        seconds(60)));
    CHECK(f.Archived() == kEvents);
    CHECK(f.FileLines() == std::pair<int64_t, size_t>{kEvents, kEvents});
    auto trail = mongo_archive.Trail("b-7");
    REQUIRE(trail.ok());
    CHECK(trail->size() == 1);
    (*consumer)->Close();
  }

  TEST_CASE("events FerretDB could refuse are archived once each; redelivered, added nothing") {
    AuditFixture f;
    MongoArchive archive(*f.mongo, f.collection);
    REQUIRE(archive.EnsureIndexes().ok());  // the bookingId index, which long ids would break
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> letter('a', 'z');
    std::string incompressible(3000, ' ');
    for (char& c : incompressible) c = static_cast<char>(letter(rng));
    const std::vector<std::string> values = {
        std::string("nul \0 inside", 12),
        R"({"eventId":"e-nul\u0000","payload":{"bookingId":"b-1"}})",
        R"({"eventId":")" + incompressible + R"("})",
        R"({"eventId":")" + f.collection + R"(-long-booking","payload":{"bookingId":")" +
            incompressible + R"("}})",
        "overlong \xc0\xaf",
        "surrogate \xed\xa0\x80",
        "past U+10FFFF \xf4\x90\x80\x80",
        R"({"eventId":")" + f.collection + R"(-fine","payload":{"bookingId":"b-1"}})"};
    std::vector<AuditRecord> batch;
    for (size_t i = 0; i < values.size(); ++i) {
      ConsumedEvent event{f.requests,       0,         static_cast<int64_t>(i),
                          "k\xff",          values[i], {{"name\xc1\x80", std::string("\0", 1)}},
                          1'700'000'000'000};
      batch.push_back(MakeAuditRecord(event, NowIso8601()));
    }
    REQUIRE(archive.Append(batch).ok());
    REQUIRE(archive.Append(batch).ok());  // redelivered
    CHECK(f.Archived() == static_cast<int64_t>(values.size()));
    auto files = FileArchive::Open(f.dir);
    REQUIRE(files.ok());
    REQUIRE((*files)->Append(batch).ok());
    REQUIRE((*files)->Append(batch).ok());
    CHECK(f.FileLines().first == static_cast<int64_t>(values.size()));
  }

  TEST_CASE("audit SIGKILLed mid-run and restarted: nothing missing, nothing twice") {
    AuditFixture f;
    constexpr int kEvents = 1000;
    const std::vector<std::string> args = f.AuditArgs();
    const std::string log = f.dir + ".log";
    std::thread producing([&] { f.Produce(0, kEvents); });
    {
      testing::ChildProcess audit(args, log);
      REQUIRE_MESSAGE(testing::WaitUntil([&] { return f.Archived() >= 200; }, seconds(60)),
                      "audit archived nothing; see ", log);
      audit.Signal(SIGKILL);
      CHECK(audit.Wait(seconds(10)) == 128 + SIGKILL);
    }
    producing.join();
    const int64_t before_restart = f.Archived();
    testing::ChildProcess audit(args, log);
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return f.Archived() >= kEvents; }, seconds(90)),
                    "archived ", f.Archived(), " of ", kEvents, "; see ", log);
    // The file sink has caught up too once the collection has (same batch).
    CHECK(testing::WaitUntil([&] { return f.FileLines().first >= kEvents; }, seconds(10)));
    audit.Signal(SIGTERM);
    CHECK(audit.Wait(seconds(30)) == 0);
    CHECK(f.Archived() == kEvents);
    CHECK(f.FileLines() == std::pair<int64_t, size_t>{kEvents, kEvents});
    MESSAGE("archived before the kill: ", before_restart, " of ", kEvents);
    std::filesystem::remove(log);
  }

  TEST_CASE("one event published again at another offset, the audit restarted between: once") {
    AuditFixture f;
    const std::string log = f.dir + ".log";
    f.Publish(1, f.requests);
    {
      testing::ChildProcess audit(f.AuditArgs(), log);
      REQUIRE_MESSAGE(testing::WaitUntil([&] { return f.FileLines().first >= 1; }, seconds(60)),
                      "audit archived nothing; see ", log);
      audit.Signal(SIGTERM);
      CHECK(audit.Wait(seconds(30)) == 0);
    }
    // A producer's retry: the same event again (same key, so the same
    // partition, at the next offset), then one event more to wait for.
    f.Publish(1, f.requests);
    f.Publish(2, f.requests);
    testing::ChildProcess audit(f.AuditArgs(), log);
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return f.Archived() >= 2; }, seconds(60)), "archived ",
                    f.Archived(), " of 2; see ", log);
    CHECK(testing::WaitUntil([&] { return f.FileLines().second >= 2; }, seconds(10)));
    audit.Signal(SIGTERM);
    CHECK(audit.Wait(seconds(30)) == 0);
    CHECK(f.Archived() == 2);
    CHECK(f.FileLines() == std::pair<int64_t, size_t>{2, 2});
    auto lines = FileArchive::LinesPerId(f.dir, f.requests);
    REQUIRE(lines.ok());
    CHECK(*lines == std::map<std::string, int64_t>{{"e-1", 1}, {"e-2", 1}});
    std::filesystem::remove(log);
  }
}

}  // namespace
}  // namespace wanderluxe
