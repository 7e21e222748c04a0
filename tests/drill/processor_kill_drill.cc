// Drill 1 (issue 11): two processors in one group take a flash sale of 3,000
// requests for 5 units; the busy one is SIGKILLed mid-run and a third joins
// later. Every booking ends terminal, exactly 5 CONFIRMED, verify passes.
//
// The second half of the herd is held back until the kill: a processor can
// turn the whole first half away before its counters are next polled, and a
// kill after the last booking ended would leave the survivor nothing to take
// over.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "support/drill_env.h"
#include "support/processor_log.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

TEST_SUITE("drill.processor_kill") {
  TEST_CASE("3,000 requests for 5 units; one of two processors SIGKILLed; a third joins") {
    constexpr int kRequests = 3000;
    testing::DrillEnv env({"kill", 6, {"processor.workers=32", "kafka.session_timeout_ms=6000"}});
    const std::string property = env.Property("kill", 5);
    env.StartBank();
    env.StartAudit();
    const auto start = std::chrono::steady_clock::now();
    testing::ChildProcess& p1 = env.StartProcessor("processor-1");
    testing::ChildProcess& p2 = env.StartProcessor("processor-2");
    REQUIRE_MESSAGE(env.WaitAssigned({"processor-1", "processor-2"}, seconds(90)),
                    "the processors did not join the group; see ", env.dir());
    // The herd arrives while the processors work: published from threads.
    const std::vector<std::string> ids = env.BookingIds(property, kRequests);
    const std::vector<std::string> first(ids.begin(), ids.begin() + kRequests / 2);
    const std::vector<std::string> rest(ids.begin() + kRequests / 2, ids.end());
    std::atomic<int> publish_failures{0};
    std::atomic<double> published_s{0};
    auto publish = [&](const std::vector<std::string>& part) {
      publish_failures += env.PublishIds(property, part);
      published_s = testing::SecondsSince(start);
    };
    std::thread herd_first(publish, std::cref(first));
    std::thread herd_rest;
    struct JoinOnExit {  // also when a REQUIRE ends the drill early
      std::thread& a;
      std::thread& b;
      ~JoinOnExit() {
        if (a.joinable()) a.join();
        if (b.joinable()) b.join();
      }
    } join_herd{herd_first, herd_rest};

    // Mid-run: a tenth of the herd finished (the processors' own counters, cheap to poll).
    int64_t done1 = 0, done2 = 0;
    REQUIRE_MESSAGE(testing::WaitUntil(
                        [&] {
                          done1 = env.ProcessorMetric("processor-1", "saga_outcomes_total");
                          done2 = env.ProcessorMetric("processor-2", "saga_outcomes_total");
                          return done1 + done2 >= kRequests / 10;
                        },
                        seconds(90)),
                    "under ", kRequests / 10, " outcomes after 90 s; see ", env.dir());
    // One property is one partition: kill whichever processor is doing the work.
    testing::ChildProcess& victim = done1 >= done2 ? p1 : p2;
    victim.Signal(SIGKILL);
    const int64_t at_kill = env.Terminal({property});
    CHECK(victim.Wait(seconds(10)) == 128 + SIGKILL);
    herd_rest = std::thread(publish, std::cref(rest));
    MESSAGE("SIGKILLed processor-", done1 >= done2 ? 1 : 2, " (outcomes ", done1, " vs ", done2,
            ") at ", at_kill, " terminal, ", testing::SecondsSince(start), " s in");

    // The survivor takes the partition over (after the session timeout) and
    // makes progress; then a third processor joins, another rebalance.
    const std::string survivor = done1 >= done2 ? "processor-2" : "processor-1";
    const int64_t survivor_before = std::max(done1, done2) == done1 ? done2 : done1;
    int64_t survivor_done = 0;
    REQUIRE_MESSAGE(testing::WaitUntil(
                        [&] {
                          survivor_done = env.ProcessorMetric(survivor, "saga_outcomes_total");
                          return survivor_done >= survivor_before + kRequests / 10;
                        },
                        seconds(120)),
                    "the survivor did not take over: ", survivor_done, " outcomes; see ",
                    env.dir());
    const double takeover_s = testing::SecondsSince(start);
    env.StartProcessor("processor-3");
    MESSAGE(survivor, " took over (", survivor_done, " outcomes) at ", takeover_s,
            " s; processor-3 started then, with ", env.Terminal({property}), " terminal");

    herd_first.join();
    herd_rest.join();
    MESSAGE("published ", kRequests, " by ", published_s.load(),
            " s, the second half after the kill");
    REQUIRE_MESSAGE(publish_failures == 0, publish_failures.load(), " publishes failed");
    const bool all = env.WaitTerminal({property}, kRequests, seconds(180));
    auto counts = env.Counts({property});
    MESSAGE("after ", testing::SecondsSince(start), " s: CONFIRMED ",
            counts[BookingStatus::kConfirmed], ", SOLD_OUT ", counts[BookingStatus::kSoldOut],
            ", FAILED_PAYMENT ", counts[BookingStatus::kFailedPayment], ", RESERVED ",
            counts[BookingStatus::kReserved], ", PENDING ", counts[BookingStatus::kPending]);
    REQUIRE_MESSAGE(all, "only ", env.Terminal({property}), " of ", kRequests,
                    " terminal after 180 s; see ", env.dir());
    CHECK(counts[BookingStatus::kConfirmed] == 5);
    // Each revoke's length (the group waits for it), and those that waited
    // out processor.drain_timeout_ms, from the processors' own log lines.
    const testing::RevokeReport revokes =
        testing::Revokes(env, {"processor-1", "processor-2", "processor-3"});
    MESSAGE("revokes: ", revokes.revokes, "; ", revokes.past_drain_timeout,
            " waited out the drain timeout");
    REQUIRE_MESSAGE(env.WaitAudited(seconds(120)), "audit did not archive every event; see ",
                    env.dir());
    const auto verified = env.Verify({property});
    CHECK(verified == 0);
    env.Passed(verified == 0 && counts[BookingStatus::kConfirmed] == 5);
  }
}

}  // namespace
}  // namespace wanderluxe
