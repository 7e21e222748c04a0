// The audit archiver and its file sink, without servers.
#include <doctest/doctest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <deque>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "adapters/file/file_archive.h"
#include "wanderluxe/audit_archiver.h"
#include "wanderluxe/config.h"

namespace wanderluxe {
namespace {

// Hands out `pending` in order; while paused (PauseAll), nothing, as a paused
// KafkaConsumer. Answers at once: the archiver's waits are on its clock.
class ScriptedConsumer : public EventConsumer {
 public:
  Status Subscribe(const std::vector<std::string>&) override { return Status::Ok(); }
  Result<std::optional<ConsumedEvent>> Poll(std::chrono::milliseconds) override {
    if (paused) {
      ++polls_while_paused;
      return std::optional<ConsumedEvent>();
    }
    if (pending.empty()) return std::optional<ConsumedEvent>();
    ConsumedEvent e = pending.front();
    pending.pop_front();
    return std::optional<ConsumedEvent>(e);
  }
  Status Commit(const std::vector<CommitPoint>& points) override {
    commits.insert(commits.end(), points.begin(), points.end());
    return Status::Ok();
  }
  void Close() override {}
  Status PauseAll() override {
    paused = true;
    ++pauses;
    return Status::Ok();
  }
  Status ResumeAll() override {
    paused = false;
    ++resumes;
    return Status::Ok();
  }

  std::deque<ConsumedEvent> pending;
  std::vector<CommitPoint> commits;
  bool paused = false;
  int pauses = 0, resumes = 0, polls_while_paused = 0;
};

class FlakySink : public ArchiveSink {
 public:
  std::string name() const override { return "flaky"; }
  Status Append(const std::vector<AuditRecord>& records) override {
    if (failures_left > 0) {
      --failures_left;
      return Status::Unavailable("disk away");
    }
    archived.insert(archived.end(), records.begin(), records.end());
    return Status::Ok();
  }
  std::atomic<int> failures_left{0};
  std::vector<AuditRecord> archived;
};

ConsumedEvent Event(int32_t partition, int64_t offset, const std::string& value) {
  return {"booking.requests", partition, offset, "prop", value, {{"traceparent", "t"}}, 0};
}

std::string TempDir() {
  char name[] = "/tmp/wanderluxe-audit-XXXXXX";
  REQUIRE(mkdtemp(name) != nullptr);
  return name;
}

const std::string kEvent =
    R"({"eventId":"e-1","eventType":"BOOKING_INITIATED","payload":{"bookingId":"b-1"}})";

// A record of the event `event_id` at `offset` of partition 0.
AuditRecord Record(int64_t offset, const std::string& event_id, const std::string& received_at) {
  return MakeAuditRecord(Event(0, offset, R"({"eventId":")" + event_id + R"("})"), received_at);
}

// An event of booking b-1 at `offset` of partition 0, its eventId e-<offset>.
AuditRecord TrailRecord(int64_t offset, const std::string& received_at) {
  return MakeAuditRecord(
      Event(0, offset,
            R"({"eventId":"e-)" + std::to_string(offset) +
                R"(","eventType":"BOOKING_INITIATED","payload":{"bookingId":"b-1"}})"),
      received_at);
}

std::vector<AuditRecord> Records(const std::string& id_prefix, int64_t from, int64_t to,
                                 const std::string& received_at = "2026-01-01T10:00:00.000Z") {
  std::vector<AuditRecord> out;
  for (int64_t offset = from; offset < to; ++offset) {
    out.push_back(Record(offset, id_prefix + std::to_string(offset), received_at));
  }
  return out;
}

// The eventIds in one day's file, in file order, each followed by a space.
std::string IdsOnFile(const std::string& dir, const std::string& day) {
  std::string ids;
  std::ifstream in(dir + "/events-" + day + ".jsonl");
  for (std::string line; std::getline(in, line);) {
    ids += nlohmann::json::parse(line)["eventId"].get<std::string>() + " ";
  }
  return ids;
}

TEST_SUITE("unit.audit") {
  TEST_CASE("the archiver's batch comes from audit.batch_max and audit.batch_wait_ms") {
    auto config = LoadConfig({"", {}, {"audit.batch_max=64", "audit.batch_wait_ms=25"}});
    REQUIRE_MESSAGE(config.ok(), config.status().ToString());
    const ArchiverOptions options = ArchiverOptions::From(config->audit);
    CHECK(options.max_batch == 64);
    CHECK(options.max_batch_wait == std::chrono::milliseconds(25));
    // The file sink remembers ids far behind a batch, never fewer than one batch.
    auto smaller = LoadConfig({"", {}, {"audit.batch_max=100", "audit.file_dedup_ids=50"}});
    REQUIRE_FALSE(smaller.ok());
    CHECK(smaller.status().message().find("audit.file_dedup_ids") != std::string::npos);
  }

  TEST_CASE("a readable event is archived under its eventId with its booking id") {
    AuditRecord r = MakeAuditRecord(Event(2, 7, kEvent), "2026-01-01T00:00:00.000Z");
    CHECK(r.archive_id == "e-1");
    CHECK(r.booking_id == "b-1");
    CHECK(r.decode_error.empty());
    CHECK(r.value == kEvent);
  }

  TEST_CASE("poison is archived raw with the reason, never dropped") {
    AuditRecord text = MakeAuditRecord(Event(1, 3, "not json"), "t");
    CHECK(text.archive_id.rfind("raw:booking.requests:1:3:", 0) == 0);
    CHECK(text.decode_error == "value is not a JSON object");
    CHECK(text.value == "not json");
    AuditRecord binary = MakeAuditRecord(Event(1, 4, std::string("\xff\xfe\x00", 3)), "t");
    CHECK(binary.value_base64);
    CHECK(binary.value == "//4A");
    CHECK_NOTHROW(binary.ToJson());
  }

  TEST_CASE("offsets are committed only after every sink made the batch durable") {
    ScriptedConsumer consumer;
    consumer.pending = {Event(0, 0, kEvent), Event(0, 1, "x"), Event(1, 5, kEvent)};
    FlakySink sink;
    sink.failures_left = 2;
    MetricsRegistry metrics;
    ArchiverOptions options;
    options.retry_initial = std::chrono::milliseconds(1);
    options.max_batch_wait = std::chrono::milliseconds(50);
    AuditArchiver archiver(options, consumer, {&sink}, metrics);
    std::atomic<bool> stop{false};
    CHECK(archiver.RunOnce(stop) == 3);
    CHECK(sink.archived.size() == 3);
    REQUIRE(consumer.commits.size() == 2);
    CHECK(consumer.commits[0].partition == 0);
    CHECK(consumer.commits[0].offset == 2);  // next offset to read
    CHECK(consumer.commits[1].offset == 6);
  }

  TEST_CASE("a failing sink is retried with a warning naming its error; one commit, once stored") {
    ScriptedConsumer consumer;
    consumer.pending = {Event(0, 0, kEvent), Event(0, 1, kEvent)};
    FlakySink sink;
    sink.failures_left = 3;
    MetricsRegistry metrics;
    ArchiverOptions options;
    options.retry_initial = std::chrono::milliseconds(1);
    options.retry_max = std::chrono::milliseconds(2);
    options.max_batch_wait = std::chrono::milliseconds(20);
    AuditArchiver archiver(options, consumer, {&sink}, metrics);
    auto captured = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(16);
    auto logger = std::make_shared<spdlog::logger>("audit-test", captured);
    logger->set_level(spdlog::level::warn);
    const auto previous = spdlog::default_logger();
    spdlog::set_default_logger(logger);
    std::atomic<bool> stop{false};
    const size_t archived = archiver.RunOnce(stop);
    spdlog::set_default_logger(previous);
    CHECK(archived == 2);
    CHECK(sink.archived.size() == 2);  // the failed attempts stored nothing
    REQUIRE(consumer.commits.size() == 1);
    CHECK(consumer.commits[0].offset == 2);
    int warnings = 0;
    for (const std::string& line : captured->last_formatted()) {
      if (line.find("disk away") != std::string::npos) ++warnings;
    }
    CHECK(warnings == 3);
    CHECK(metrics.GetCounter("audit_sink_failures_total", "")->value() == 3);
  }

  TEST_CASE("while a sink is down the consumer is paused and polled, so the group keeps it") {
    ScriptedConsumer consumer;
    consumer.pending = {Event(0, 0, kEvent), Event(0, 1, kEvent), Event(0, 2, kEvent)};
    FlakySink sink;
    sink.failures_left = 3;
    MetricsRegistry metrics;
    ArchiverOptions options;
    options.max_batch = 2;
    options.retry_initial = std::chrono::milliseconds(5);
    options.retry_max = std::chrono::milliseconds(10);
    options.max_batch_wait = std::chrono::milliseconds(20);
    AuditArchiver archiver(options, consumer, {&sink}, metrics);
    std::atomic<bool> stop{false};
    CHECK(archiver.RunOnce(stop) == 2);
    // Polled between the tries, paused: the event after the batch stayed put.
    CHECK(consumer.polls_while_paused > 0);
    CHECK(consumer.pauses == 1);
    CHECK(consumer.resumes == 1);
    CHECK_FALSE(consumer.paused);
    CHECK(consumer.pending.size() == 1);
    REQUIRE(consumer.commits.size() == 1);
    CHECK(consumer.commits[0].offset == 2);
    // The next batch takes it up where the first ended.
    CHECK(archiver.RunOnce(stop) == 1);
    REQUIRE(consumer.commits.size() == 2);
    CHECK(consumer.commits[1].offset == 3);
  }

  TEST_CASE("a sink failing at shutdown leaves the batch uncommitted for redelivery") {
    ScriptedConsumer consumer;
    consumer.pending = {Event(0, 0, kEvent), Event(0, 1, kEvent)};
    FlakySink sink;
    sink.failures_left = 1'000'000;
    MetricsRegistry metrics;
    ArchiverOptions options;
    options.retry_initial = std::chrono::milliseconds(1);
    options.retry_max = std::chrono::milliseconds(1);
    options.max_batch_wait = std::chrono::milliseconds(20);
    AuditArchiver archiver(options, consumer, {&sink}, metrics);
    std::atomic<bool> stop{false};
    size_t archived = 99;
    std::thread run([&] { archiver.RunOnce(stop) == 0 ? archived = 0 : archived = 1; });
    // Wait (bounded) until the sink has really been failing, then shut down.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (sink.failures_left > 999'990 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::yield();
    }
    stop = true;
    run.join();
    CHECK(archived == 0);
    CHECK(consumer.commits.empty());
    CHECK(sink.archived.empty());
  }

  TEST_CASE("an event that is not text neither stops the archiver nor is archived twice") {
    const std::string dir = TempDir();
    auto archive = FileArchive::Open(dir);
    REQUIRE(archive.ok());
    ScriptedConsumer consumer;
    ConsumedEvent poison = Event(0, 0, "{\"eventId\":\"e-\xc0\xaf\"}");  // overlong '/'
    poison.headers.push_back({"name\xed\xa0\x80", "v"});                 // a surrogate
    const std::vector<ConsumedEvent> events = {poison, Event(0, 1, kEvent)};
    consumer.pending.assign(events.begin(), events.end());
    MetricsRegistry metrics;
    ArchiverOptions options;
    options.max_batch_wait = std::chrono::milliseconds(20);
    AuditArchiver archiver(options, consumer, {archive->get()}, metrics);
    std::atomic<bool> stop{false};
    size_t archived = 0;
    REQUIRE_NOTHROW(archived = archiver.RunOnce(stop));
    CHECK(archived == 2);
    REQUIRE(consumer.commits.size() == 1);
    CHECK(consumer.commits[0].offset == 2);
    consumer.pending.assign(events.begin(), events.end());  // redelivered
    REQUIRE_NOTHROW(archiver.RunOnce(stop));
    int lines = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".jsonl") continue;  // the lock file is beside it
      std::ifstream in(entry.path());
      for (std::string line; std::getline(in, line);) ++lines;
    }
    CHECK(lines == 2);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("the file sink skips redelivered records, across a restart") {
    const std::string dir = TempDir();
    std::vector<AuditRecord> batch;
    for (int64_t offset : {0, 1, 2})
      batch.push_back(TrailRecord(offset, "2026-01-01T10:00:00.000Z"));
    {
      auto archive = FileArchive::Open(dir);
      REQUIRE(archive.ok());
      REQUIRE((*archive)->Append(batch).ok());
      REQUIRE((*archive)->Append(batch).ok());  // redelivered in the same run
    }
    auto reopened = FileArchive::Open(dir);
    REQUIRE(reopened.ok());
    CHECK((*reopened)->HighestOffset("booking.requests", 0) == 2);
    batch.push_back(TrailRecord(3, "2026-01-01T10:00:01.000Z"));
    REQUIRE((*reopened)->Append(batch).ok());  // redelivered after a crash, plus one new
    std::ifstream in(dir + "/events-2026-01-01.jsonl");
    int lines = 0;
    for (std::string line; std::getline(in, line);) ++lines;
    CHECK(lines == 4);
    CHECK(FileArchive::Trail(dir, "b-1")->size() == 4);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("an event published again at a later offset is archived once, across a restart") {
    const std::string dir = TempDir();
    const std::string day = "2026-01-01";
    const std::string at = day + "T10:00:00.000Z";
    {
      auto archive = FileArchive::Open(dir);
      REQUIRE(archive.ok());
      REQUIRE((*archive)->Append({Record(0, "e-a", at), Record(1, "e-b", at)}).ok());
      // A producer's retry put e-a on the topic again, at offset 2.
      REQUIRE((*archive)->Append({Record(2, "e-a", at), Record(3, "e-c", at)}).ok());
      REQUIRE((*archive)->Append({Record(2, "e-a", at)}).ok());  // and that copy redelivered
      CHECK(IdsOnFile(dir, day) == "e-a e-b e-c ");
    }
    auto reopened = FileArchive::Open(dir);
    REQUIRE(reopened.ok());
    // After a restart: the copy redelivered, another copy, and a new event.
    REQUIRE((*reopened)->Append({Record(2, "e-a", at), Record(3, "e-c", at)}).ok());
    REQUIRE((*reopened)->Append({Record(4, "e-b", at), Record(5, "e-d", at)}).ok());
    CHECK(IdsOnFile(dir, day) == "e-a e-b e-c e-d ");
    CHECK((*reopened)->HighestOffset("booking.requests", 0) == 5);
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("the file sink archives a recreated topic whose offsets start again") {
    const std::string dir = TempDir();
    const std::string day = "2026-01-01";
    {
      auto archive = FileArchive::Open(dir);
      REQUIRE(archive.ok());
      REQUIRE((*archive)->Append(Records("old-", 0, 5)).ok());
      // The topic is deleted and created again: offsets restart, other events.
      REQUIRE((*archive)->Append(Records("new-", 0, 3)).ok());
      REQUIRE((*archive)->Append(Records("new-", 1, 3)).ok());  // redelivered
      CHECK((*archive)->HighestOffset("booking.requests", 0) == 2);
    }
    auto reopened = FileArchive::Open(dir);
    REQUIRE(reopened.ok());
    CHECK((*reopened)->HighestOffset("booking.requests", 0) == 2);
    REQUIRE((*reopened)->Append(Records("new-", 1, 4)).ok());  // redelivered, plus one
    CHECK(IdsOnFile(dir, day) == "old-0 old-1 old-2 old-3 old-4 new-0 new-1 new-2 new-3 ");
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("a batch across midnight that fails on the second day appends nothing twice") {
    const std::string dir = TempDir();
    std::vector<AuditRecord> batch = Records("e-", 0, 2, "2026-01-01T23:59:59.900Z");
    for (AuditRecord& r : Records("e-", 2, 4, "2026-01-02T00:00:00.100Z")) batch.push_back(r);
    auto archive = FileArchive::Open(dir);
    REQUIRE(archive.ok());
    // The second day's file cannot be opened: a directory stands in its way.
    const std::string blocker = dir + "/events-2026-01-02.jsonl";
    REQUIRE(std::filesystem::create_directory(blocker));
    CHECK_FALSE((*archive)->Append(batch).ok());
    std::filesystem::remove(blocker);
    REQUIRE((*archive)->Append(batch).ok());  // the archiver's retry
    CHECK(IdsOnFile(dir, "2026-01-01") == "e-0 e-1 ");
    CHECK(IdsOnFile(dir, "2026-01-02") == "e-2 e-3 ");
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("a redelivery deeper than the ids kept in memory is checked against the files") {
    const std::string dir = TempDir();
    constexpr size_t kRecent = 4;
    {
      auto archive = FileArchive::Open(dir, {kRecent, kRecent});
      REQUIRE(archive.ok());
      REQUIRE((*archive)->Append(Records("e-", 0, 20)).ok());
      REQUIRE((*archive)->Append(Records("e-", 2, 23)).ok());  // from offset 2: read from file
    }
    auto reopened = FileArchive::Open(dir, {kRecent, kRecent});
    REQUIRE(reopened.ok());
    REQUIRE((*reopened)->Append(Records("e-", 1, 24)).ok());
    std::string expected;
    for (int i = 0; i < 24; ++i) expected += "e-" + std::to_string(i) + " ";
    CHECK(IdsOnFile(dir, "2026-01-01") == expected);
    // The topic recreated, noticed at offset 0 far behind memory.
    REQUIRE((*reopened)->Append(Records("new-", 0, 2)).ok());
    REQUIRE((*reopened)->Append(Records("new-", 0, 3)).ok());
    CHECK(IdsOnFile(dir, "2026-01-01") == expected + "new-0 new-1 new-2 ");
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("unreadable events of a recreated topic at the same offsets are archived too") {
    const std::string dir = TempDir();
    auto archive = FileArchive::Open(dir);
    REQUIRE(archive.ok());
    const std::string at = "2026-01-01T10:00:00.000Z";
    REQUIRE((*archive)->Append({MakeAuditRecord(Event(0, 0, "old poison"), at)}).ok());
    REQUIRE((*archive)->Append({MakeAuditRecord(Event(0, 0, "old poison"), at)}).ok());
    REQUIRE((*archive)->Append({MakeAuditRecord(Event(0, 0, "new poison"), at)}).ok());
    std::ifstream in(dir + "/events-2026-01-01.jsonl");
    std::string values;
    for (std::string line; std::getline(in, line);) {
      values += nlohmann::json::parse(line)["value"].get<std::string>() + ";";
    }
    CHECK(values == "old poison;new poison;");
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("two sinks on one directory: the second is refused until the first closes") {
    const std::string dir = TempDir();
    auto first = FileArchive::Open(dir);
    REQUIRE(first.ok());
    // flock is per open file description, so a second Open in this process
    // meets the lock exactly as a second audit process would.
    auto second = FileArchive::Open(dir);
    REQUIRE_FALSE(second.ok());
    CHECK(second.status().code() == StatusCode::kFailedPrecondition);
    CHECK(second.status().message().find(dir + "/.lock") != std::string::npos);
    // Readers never take it: audit trail and verify read beside the writer.
    CHECK(FileArchive::Trail(dir, "b-1").ok());
    first->reset();
    CHECK(FileArchive::Open(dir).ok());
    std::filesystem::remove_all(dir);
  }

  TEST_CASE("a torn last line from a crash is cut before the next append") {
    const std::string dir = TempDir();
    {
      std::ofstream out(dir + "/events-2026-01-01.jsonl");
      out << MakeAuditRecord(Event(0, 0, kEvent), "2026-01-01T10:00:00.000Z").ToJson() << "\n"
          << R"({"_id":"e-2","topic":"booking.requ)";
    }
    auto archive = FileArchive::Open(dir);
    REQUIRE(archive.ok());
    CHECK((*archive)->HighestOffset("booking.requests", 0) == 0);
    REQUIRE((*archive)->Append({Record(1, "e-2", "2026-01-01T10:00:01.000Z")}).ok());
    std::ifstream in(dir + "/events-2026-01-01.jsonl");
    int lines = 0;
    for (std::string line; std::getline(in, line);) {
      ++lines;
      CHECK(line.back() == '}');
    }
    CHECK(lines == 2);
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace wanderluxe
