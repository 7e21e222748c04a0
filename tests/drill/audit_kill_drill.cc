// Drill 9 (issue 12): the audit role is SIGKILLed mid-herd, while it archives
// a busy requests topic, and restarted. Kafka redelivers what it had not
// committed; its sinks must turn that into exactly once: every request event
// archived once in the Mongo archive (verify I6), and in the file sink no
// event appears twice and no line is torn (every line of every file parses
// as a JSON record, every file ends with a whole line).
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/drill_env.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

constexpr int kRequests = 4000;
constexpr int kUnits = 50;

using testing::Listed;

// What the file sink holds, read line by line.
struct FileTally {
  std::map<std::string, int> lines_of_event;   // eventId -> lines
  std::map<std::string, int> lines_of_offset;  // topic/partition/offset -> lines
  std::vector<std::string> torn;               // lines that are no JSON record
  int unterminated_files = 0;
  int files = 0;
  size_t lines = 0;
};

FileTally TallyAuditFiles(const testing::DrillEnv& env) {
  const testing::DrillEnv::AuditFiles files = env.ReadAuditFiles();
  FileTally t;
  t.files = files.files;
  t.unterminated_files = files.unterminated;
  t.lines = files.lines.size();
  for (const auto& line : files.lines) {
    const auto doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("eventId") || !doc["eventId"].is_string() ||
        !doc.contains("offset")) {
      t.torn.push_back(line.substr(0, 80));
      continue;
    }
    ++t.lines_of_event[doc["eventId"].get<std::string>()];
    ++t.lines_of_offset[doc.value("topic", "") + "/" + std::to_string(doc.value("partition", -1)) +
                        "/" + std::to_string(doc.value("offset", int64_t{-1}))];
  }
  return t;
}

TEST_SUITE("drill.audit_kill") {
  TEST_CASE("audit SIGKILLed mid-herd and restarted: every event archived once, no torn line") {
    testing::DrillEnv env({"audit-kill", 6, {"processor.workers=32"}});
    const std::string property = env.Property("audit", kUnits);
    env.StartBank();
    testing::ChildProcess* audit = &env.StartAuditWithAdmin("audit");
    env.StartProcessor("processor-1");
    REQUIRE_MESSAGE(env.WaitAssigned({"processor-1"}, seconds(90)),
                    "the processor did not join the group; see ", env.dir());

    // The herd arrives while the audit role works: published from a thread.
    const auto start = std::chrono::steady_clock::now();
    const std::vector<std::string> ids = env.BookingIds(property, kRequests);
    std::atomic<int> publish_failures{-1};
    std::atomic<double> published_s{0};
    std::thread herd([&] {
      publish_failures = env.PublishIds(property, ids);
      published_s = testing::SecondsSince(start);
    });
    struct JoinOnExit {  // also when a REQUIRE ends the drill early
      std::thread& t;
      ~JoinOnExit() {
        if (t.joinable()) t.join();
      }
    } join_herd{herd};

    // Mid-herd: a third of the events of both topics archived (the role's own
    // counter, cheap to poll), a batch just written.
    int64_t archived = 0;
    REQUIRE_MESSAGE(testing::WaitUntil(
                        [&] {
                          archived = env.AdminMetric("audit", "audit_archived_total");
                          return archived >= 2 * kRequests / 3;
                        },
                        seconds(120)),
                    "the audit role archived only ", archived, " events in 120 s; see ", env.dir());
    audit->Signal(SIGKILL);
    const double kill_s = testing::SecondsSince(start);
    CHECK(audit->Wait(seconds(10)) == 128 + SIGKILL);
    // Request events the file sink had and the Mongo sink had not: a batch
    // the kill cut between the two, which Kafka redelivers to both.
    const auto in_mongo = env.AuditArchivedRequests();
    int64_t filed_requests = 0;
    for (const auto& line : env.ReadAuditFiles().lines) {
      const auto doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (doc.is_object() && doc.value("topic", "") == env.config().kafka.requests_topic)
        ++filed_requests;
    }
    audit = &env.StartAuditWithAdmin("audit-2");
    int64_t rearchived = 0;
    REQUIRE_MESSAGE(testing::WaitUntil(
                        [&] {
                          rearchived = env.AdminMetric("audit-2", "audit_archived_total");
                          return rearchived > 0;
                        },
                        seconds(120)),
                    "the restarted audit role archived nothing in 120 s; see ", env.dir());
    const double recovered_s = testing::SecondsSince(start);
    MESSAGE("audit SIGKILLed at ", kill_s, " s after archiving ", archived,
            " events; request events then on file ", filed_requests, ", in Mongo ",
            in_mongo.ok() ? std::to_string(*in_mongo) : in_mongo.status().ToString(),
            "; the restarted role archived its first batch at ", recovered_s, " s");

    herd.join();
    MESSAGE("published ", kRequests, " in ", published_s.load(), " s");
    REQUIRE_MESSAGE(publish_failures == 0, publish_failures.load(), " publishes failed");
    REQUIRE_MESSAGE(env.WaitTerminal({property}, kRequests, seconds(180)), "only ",
                    env.Terminal({property}), " of ", kRequests, " terminal after 180 s; see ",
                    env.dir());
    REQUIRE_MESSAGE(env.WaitAudited(seconds(120)), "audit did not archive every request; see ",
                    env.dir());
    const double audited_s = testing::SecondsSince(start);

    // Every message of both topics, by eventId: the file sink must hold each once.
    std::set<std::string> events;
    size_t messages = 0;
    for (const std::string& topic :
         {env.config().kafka.requests_topic, env.config().kafka.outcomes_topic}) {
      for (const auto& e : env.ReadTopic(topic)) {
        const auto doc = nlohmann::json::parse(e.value, nullptr, /*allow_exceptions=*/false);
        REQUIRE_MESSAGE((doc.is_object() && doc.contains("eventId")), "no eventId: ", e.value);
        events.insert(doc["eventId"].get<std::string>());
        ++messages;
      }
    }
    const size_t repeated = messages - events.size();
    CHECK_MESSAGE(repeated == 0, repeated, " messages repeat an eventId");
    FileTally files;
    auto next_read = std::chrono::steady_clock::now();
    const bool filed = testing::WaitUntil(
        [&] {
          if (std::chrono::steady_clock::now() < next_read) return false;
          next_read = std::chrono::steady_clock::now() + seconds(1);
          files = TallyAuditFiles(env);
          return files.lines_of_event.size() >= events.size();
        },
        seconds(120));
    std::vector<std::string> twice, missing, offset_twice;
    for (const auto& [event, n] : files.lines_of_event) {
      if (n > 1) twice.push_back(event + " x" + std::to_string(n));
    }
    for (const auto& [at, n] : files.lines_of_offset) {
      if (n > 1) offset_twice.push_back(at + " x" + std::to_string(n));
    }
    for (const auto& event : events) {
      if (!files.lines_of_event.count(event)) missing.push_back(event);
    }
    const auto counted = env.AuditArchivedRequests();
    const int64_t archived_requests = counted.ok() ? *counted : -1;
    MESSAGE("all archived at ", audited_s, " s; ", messages, " messages on the two topics; file ",
            "sink: ", files.files, " file(s), ", files.lines, " lines, ",
            files.lines_of_event.size(), " events, ", twice.size(), " twice, ", offset_twice.size(),
            " offsets twice, ", files.torn.size(), " torn lines, ", files.unterminated_files,
            " unterminated files, ", missing.size(), " missing; Mongo archive: ", archived_requests,
            " request events");
    CHECK_MESSAGE(filed, "the file sink holds ", files.lines_of_event.size(), " of ", events.size(),
                  " events after 120 s");
    CHECK_MESSAGE(twice.empty(), "events on file more than once:", Listed(twice));
    CHECK_MESSAGE(offset_twice.empty(), "offsets on file more than once:", Listed(offset_twice));
    CHECK_MESSAGE(files.torn.empty(), "torn lines:", Listed(files.torn));
    CHECK(files.unterminated_files == 0);
    CHECK_MESSAGE(missing.empty(), "events not on file:", Listed(missing));
    CHECK(archived_requests == kRequests);

    const auto verified = env.Verify({property});
    CHECK(verified == 0);
    env.Passed(verified == 0 && filed && twice.empty() && offset_twice.empty() &&
               files.torn.empty() && files.unterminated_files == 0 && missing.empty() &&
               archived_requests == kRequests);
  }
}

}  // namespace
}  // namespace wanderluxe
