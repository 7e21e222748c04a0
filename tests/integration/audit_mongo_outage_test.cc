// The audit archiver over a FerretDB whose process, or whose PostgreSQL, is
// SIGKILLed while bulks are in flight, and restarted: every offset the archiver committed is in the
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
#include "support/build_paths.h"
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
    if (!TryRun("down ferretdb postgres")) MESSAGE("stack down failed; see ", dir_, ".stack.log");
    std::filesystem::remove_all(dir_);
    std::filesystem::remove(dir_ + ".stack.log");
  }

  bool TryRun(const std::string& verb) {
    const std::string command =
        "WANDERLUXE_STACK_DIR=" + dir_ + " WL_PG_PORT=" + std::to_string(pg_port_) +
        " WL_MONGO_PORT=" + std::to_string(mongo_port_) +
        " WL_FERRETDB_DEBUG_PORT=" + std::to_string(debug_port_) + " " + testing::SourceDir() +
        "/scripts/stack " + verb + " >>" + dir_ + ".stack.log 2>&1";
    return std::system(command.c_str()) == 0;
  }

  void Run(const std::string& verb) {
    REQUIRE_MESSAGE(TryRun(verb), "scripts/stack ", verb, " failed; see ", dir_, ".stack.log");
  }

  // Starts `server` again after Kill. A killed postmaster's children leave
  // only once they notice, and its lock file names a pid that lingers until
  // reaped: PostgreSQL refuses to start until both are gone.
  void Restart(const std::string& server) {
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return TryRun("up " + server); }, seconds(60)), server,
                    " did not start again; see ", dir_, ".stack.log");
  }

  // SIGKILLs `server` (ferretdb, or postgres: its postmaster) and waits
  // (bounded) until the process is gone.
  void Kill(const std::string& server) {
    std::ifstream in(dir_ + "/" + server + "/" + server + ".pid");
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
  Result<std::optional<ConsumedEvent>> Poll(milliseconds timeout) override {
    if (paused_) {
      // A paused KafkaConsumer hands out nothing and waits out its timeout.
      std::this_thread::sleep_for(timeout);
      return std::optional<ConsumedEvent>();
    }
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
  Status PauseAll() override {
    paused_ = true;
    return Status::Ok();
  }
  Status ResumeAll() override {
    paused_ = false;
    return Status::Ok();
  }

  std::atomic<int64_t> committed{0};  // every offset below it is archived, says the archiver

 private:
  int64_t next_ = 0;
  bool paused_ = false;
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

// Runs the archiver on a thread of its own; stops and joins it however the
// test ends, so a failed REQUIRE still reaches the private stack's teardown.
class ArchiverThread {
 public:
  ArchiverThread(AuditArchiver& archiver, std::atomic<bool>& stop)
      : stop_(stop), thread_([&archiver, &stop] { archiver.Run(stop); }) {}
  ~ArchiverThread() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::atomic<bool>& stop_;
  std::thread thread_;
};

TEST_SUITE("integration.audit") {
  TEST_CASE("FerretDB or its PostgreSQL SIGKILLed mid-bulk: every committed offset archived") {
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
    ArchiverThread running(archiver, stop);

    // FerretDB itself, and the PostgreSQL that stores its collections.
    const std::vector<std::string> kills = {"ferretdb", "postgres", "ferretdb", "postgres"};
    for (size_t kill = 0; kill < kills.size(); ++kill) {
      const int64_t before = consumer.committed;
      CHECK_MESSAGE(
          testing::WaitUntil([&] { return consumer.committed >= before + 3000; }, seconds(30)),
          "the archiver made no progress before kill ", kill);
      const int failed_before = sink.failed;
      ferretdb.Kill(kills[kill]);
      CHECK_MESSAGE(testing::WaitUntil([&] { return sink.failed > failed_before; }, seconds(20)),
                    "no failed bulk seen after killing ", kills[kill]);
      ferretdb.Restart(kills[kill]);
    }
    const int64_t recovered = consumer.committed;
    CHECK(testing::WaitUntil([&] { return consumer.committed > recovered; }, seconds(30)));
    running.Stop();

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
    CHECK(sink.failed >= static_cast<int>(kills.size()));
  }
}

}  // namespace
}  // namespace wanderluxe
