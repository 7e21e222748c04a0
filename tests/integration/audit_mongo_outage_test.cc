// The audit archiver over a FerretDB that is SIGKILLed while bulks are in
// flight, and restarted: every offset the archiver committed is in the
// collection, and the failed bulks were seen as failures (and retried). Runs
// a private FerretDB and PostgreSQL (own ports, own state dir) so killing it
// disturbs no other test.
#include <doctest/doctest.h>
#include <signal.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "adapters/mongo/mongo_archive.h"
#include "support/child_process.h"
#include "support/servers.h"
#include "wanderluxe/audit_archiver.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// scripts/stack's postgres and ferretdb on free ports under a private state dir.
class PrivateFerretDb {
 public:
  PrivateFerretDb() : dir_("/tmp/" + testing::UniqueName("wanderluxe-ferretdb")) {
    pg_port_ = testing::FreeLoopbackPort();
    do mongo_port_ = testing::FreeLoopbackPort();
    while (mongo_port_ == pg_port_);
    do debug_port_ = testing::FreeLoopbackPort();
    while (debug_port_ == pg_port_ || debug_port_ == mongo_port_);
    Run("up postgres ferretdb");
  }
  ~PrivateFerretDb() {
    Run("down ferretdb postgres");
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(dir_ + ".stack.log");
  }

  void Run(const std::string& verb) {
    const std::string command =
        "WANDERLUXE_STACK_DIR=" + dir_ + " WL_PG_PORT=" + std::to_string(pg_port_) +
        " WL_MONGO_PORT=" + std::to_string(mongo_port_) +
        " WL_FERRETDB_DEBUG_PORT=" + std::to_string(debug_port_) + " " + WANDERLUXE_SOURCE_DIR +
        "/scripts/stack " + verb + " >>" + dir_ + ".stack.log 2>&1";
    REQUIRE_MESSAGE(std::system(command.c_str()) == 0, command, "; see ", dir_, ".stack.log");
  }

  // SIGKILLs FerretDB and waits (bounded) until the process is gone.
  void Kill() {
    std::ifstream in(dir_ + "/ferretdb/ferretdb.pid");
    pid_t pid = 0;
    REQUIRE((in >> pid));
    REQUIRE(kill(pid, SIGKILL) == 0);
    CHECK(testing::WaitUntil([&] { return !Alive(pid); }, seconds(10)));
  }

  std::string Uri() const { return "mongodb://127.0.0.1:" + std::to_string(mongo_port_) + "/"; }

 private:
  // Gone, or a zombie nobody reaped yet (it is not our child).
  static bool Alive(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, comm, state;
    if (!(stat >> pid_field >> comm >> state)) return false;
    return state != "Z";
  }

  std::string dir_;
  int pg_port_ = 0, mongo_port_ = 0, debug_port_ = 0;
};

// An endless partition: event n at offset n, eventId "e-<n>", padded so a
// bulk takes long enough for a kill to land inside it. Remembers the highest
// commit (read by the test thread).
class EndlessConsumer : public EventConsumer {
 public:
  Status Subscribe(const std::vector<std::string>&) override { return Status::Ok(); }
  Result<std::optional<ConsumedEvent>> Poll(milliseconds) override {
    const int64_t n = next_++;
    const std::string value = R"({"eventId":"e-)" + std::to_string(n) +
                              R"(","eventType":"BOOKING_INITIATED","payload":{"bookingId":"b-)" +
                              std::to_string(n) + R"(","pad":")" + std::string(400, 'x') + R"("}})";
    return std::optional<ConsumedEvent>(
        ConsumedEvent{"booking.requests", 0, n, "prop", value, {}, 0});
  }
  Status Commit(const std::vector<CommitPoint>& points) override {
    for (const CommitPoint& p : points) committed = std::max(committed.load(), p.offset);
    return Status::Ok();
  }
  void Close() override {}

  std::atomic<int64_t> committed{0};  // every offset below it is archived, says the archiver

 private:
  int64_t next_ = 0;
};

// Counts what the real sink answered.
class CountingSink : public ArchiveSink {
 public:
  explicit CountingSink(ArchiveSink& sink) : sink_(sink) {}
  std::string name() const override { return sink_.name(); }
  Status Append(const std::vector<AuditRecord>& records) override {
    Status s = sink_.Append(records);
    (s.ok() ? stored : failed)++;
    return s;
  }
  std::atomic<int> stored{0};
  std::atomic<int> failed{0};

 private:
  ArchiveSink& sink_;
};

TEST_SUITE("integration.audit") {
  TEST_CASE("FerretDB SIGKILLed mid-bulk: every committed offset is archived, failures retried") {
    PrivateFerretDb ferretdb;
    Config config = testing::LiveConfig(
        {"mongo.uri=" + ferretdb.Uri(), "mongo.timeout_ms=2000", "mongo.pool_max=4"});
    auto store = MongoStore::Open(config.mongo);
    REQUIRE(store.ok());
    const std::string collection = "audit_events";
    MongoArchive archive(**store, collection);
    CountingSink sink(archive);
    EndlessConsumer consumer;
    MetricsRegistry metrics;
    ArchiverOptions options;
    options.max_batch = 1000;
    options.retry_initial = milliseconds(50);
    options.retry_max = milliseconds(500);
    AuditArchiver archiver(options, consumer, {&sink}, metrics);
    std::atomic<bool> stop{false};
    std::thread running([&] { archiver.Run(stop); });

    constexpr int kKills = 3;
    for (int kill = 0; kill < kKills; ++kill) {
      const int64_t before = consumer.committed;
      CHECK_MESSAGE(
          testing::WaitUntil([&] { return consumer.committed >= before + 3000; }, seconds(30)),
          "the archiver made no progress before kill ", kill);
      const int failed_before = sink.failed;
      ferretdb.Kill();
      CHECK_MESSAGE(testing::WaitUntil([&] { return sink.failed > failed_before; }, seconds(20)),
                    "no failed bulk seen after kill ", kill);
      ferretdb.Run("up ferretdb");
    }
    const int64_t recovered = consumer.committed;
    CHECK(testing::WaitUntil([&] { return consumer.committed > recovered; }, seconds(30)));
    stop = true;
    running.join();

    auto docs = (*store)->Find(collection, "{}", "{}", 0, R"({"_id":1})");
    REQUIRE(docs.ok());
    std::set<std::string> archived;
    for (const std::string& doc : *docs) archived.insert(nlohmann::json::parse(doc)["_id"]);
    int64_t missing = 0;
    for (int64_t offset = 0; offset < consumer.committed; ++offset) {
      if (!archived.count("e-" + std::to_string(offset))) ++missing;
    }
    MESSAGE("committed ", consumer.committed.load(), ", archived ", archived.size(), ", bulks ",
            sink.stored.load(), " stored and ", sink.failed.load(), " failed");
    CHECK(missing == 0);
    CHECK(sink.failed >= kKills);
  }
}

}  // namespace
}  // namespace wanderluxe
