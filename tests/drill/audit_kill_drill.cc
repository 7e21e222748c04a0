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

    // Each event of both topics on one line, whatever was published again.
    const bool filed_once = env.CheckAuditFilesByEvent(seconds(120));
    const auto counted = env.AuditArchivedRequests();
    const int64_t archived_requests = counted.ok() ? *counted : -1;
    MESSAGE("all archived at ", audited_s, " s; Mongo archive: ", archived_requests,
            " request events");
    CHECK(archived_requests == kRequests);

    const auto verified = env.Verify({property});
    CHECK(verified == 0);
    env.Passed(verified == 0 && filed_once && archived_requests == kRequests);
  }
}

}  // namespace
}  // namespace wanderluxe
