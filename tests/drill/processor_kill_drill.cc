// Drill 1 (issue 11): two processors in one group take a flash sale of 3,000
// requests for 5 units; the busy one is SIGKILLed mid-run and a third joins
// later. Every booking ends terminal, exactly 5 CONFIRMED, verify passes.
#include <doctest/doctest.h>
#include <signal.h>

#include "support/drill_env.h"

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
    env.Publish(property, kRequests);
    MESSAGE("published ", kRequests, " in ", testing::SecondsSince(start), " s");

    REQUIRE_MESSAGE(env.WaitTerminal({property}, kRequests / 10, seconds(90)),
                    "under ", kRequests / 10, " terminal after 90 s: ", env.Terminal({property}),
                    "; see ", env.dir());
    // One property is one partition: kill whichever processor is doing the work.
    const int64_t done1 = env.ProcessorMetric("processor-1", "saga_outcomes_total");
    const int64_t done2 = env.ProcessorMetric("processor-2", "saga_outcomes_total");
    testing::ChildProcess& victim = done1 >= done2 ? p1 : p2;
    const int64_t at_kill = env.Terminal({property});
    victim.Signal(SIGKILL);
    CHECK(victim.Wait(seconds(10)) == 128 + SIGKILL);
    MESSAGE("SIGKILLed processor-", done1 >= done2 ? 1 : 2, " (outcomes ", done1, " vs ", done2,
            ") at ", at_kill, " terminal, ", testing::SecondsSince(start), " s in");

    REQUIRE_MESSAGE(env.WaitTerminal({property}, kRequests / 2, seconds(120)),
                    "the survivor did not take over: ", env.Terminal({property}), " terminal; see ",
                    env.dir());
    env.StartProcessor("processor-3");
    MESSAGE("processor-3 joined at ", env.Terminal({property}), " terminal, ",
            testing::SecondsSince(start), " s in");

    const bool all = env.WaitTerminal({property}, kRequests, seconds(180));
    auto counts = env.Counts({property});
    MESSAGE("after ", testing::SecondsSince(start), " s: CONFIRMED ", counts[BookingStatus::kConfirmed],
            ", SOLD_OUT ", counts[BookingStatus::kSoldOut], ", FAILED_PAYMENT ",
            counts[BookingStatus::kFailedPayment], ", RESERVED ", counts[BookingStatus::kReserved],
            ", PENDING ", counts[BookingStatus::kPending]);
    REQUIRE_MESSAGE(all, "only ", env.Terminal({property}), " of ", kRequests,
                    " terminal after 180 s; see ", env.dir());
    CHECK(counts[BookingStatus::kConfirmed] == 5);
    REQUIRE_MESSAGE(env.WaitAudited(seconds(120)), "audit did not archive every event; see ", env.dir());
    const auto verified = env.Verify({property});
    CHECK(verified == 0);
    env.Passed(verified == 0 && counts[BookingStatus::kConfirmed] == 5);
  }
}

}  // namespace
}  // namespace wanderluxe
