// Drill (issue 15): a sale whose bank declines half the charges, so released
// units are handed down the waitlist; the processor doing the work is
// SIGKILLed while hand-overs run, a second one takes over. Every unit is sold,
// nobody waits forever, and verify passes (I7 included).
#include <doctest/doctest.h>
#include <signal.h>

#include <atomic>
#include <thread>

#include "support/drill_env.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

TEST_SUITE("drill.waitlist_kill") {
  TEST_CASE("declines hand units down the waitlist; its processor SIGKILLed; every unit sold") {
    constexpr int kUnits = 10, kRequests = 400;
    // 10 units, 30 may wait; half the charges declined: about 20 guests pay
    // of 40 who hold or wait, far more than 10. Short leases, so the
    // survivor takes over the killed processor's bookings within the drill.
    testing::DrillEnv env(
        {"waitlist-kill",
         1,
         {"processor.workers=8", "kafka.session_timeout_ms=6000", "bank.decline_pct=50",
          "bank.latency_ms=200", "saga.waitlist_per_unit=3", "saga.lease_ms=5000",
          "bank.request_timeout_ms=1000", "processor.reconcile_interval_s=2",
          "processor.stuck_threshold_s=30", "saga.waitlist_timeout_ms=20000"}});
    const std::string property = env.Property("waitlist", kUnits);
    env.StartBank();
    env.StartAudit();
    const auto start = std::chrono::steady_clock::now();
    testing::ChildProcess& first = env.StartProcessor("processor-1");
    REQUIRE_MESSAGE(env.WaitAssigned({"processor-1"}, seconds(90)),
                    "processor-1 did not join; see ", env.dir());
    REQUIRE(env.PublishIds(property, env.BookingIds(property, kRequests)) == 0);

    // Kill it once payments have failed and units went down the waitlist.
    int64_t handed = 0;
    REQUIRE_MESSAGE(testing::WaitUntil(
                        [&] {
                          handed = env.Counts({property})[BookingStatus::kFailedPayment];
                          return handed >= 3;
                        },
                        seconds(90)),
                    "no payment failed within 90 s; see ", env.dir());
    auto before = env.Counts({property});
    first.Signal(SIGKILL);
    CHECK(first.Wait(seconds(10)) == 128 + SIGKILL);
    MESSAGE("SIGKILLed processor-1 at ", testing::SecondsSince(start), " s: CONFIRMED ",
            before[BookingStatus::kConfirmed], ", FAILED_PAYMENT ", handed, ", WAITLISTED ",
            before[BookingStatus::kWaitlisted], ", RESERVED ", before[BookingStatus::kReserved]);
    env.StartProcessor("processor-2");

    const bool all = env.WaitTerminal({property}, kRequests, seconds(120));
    auto counts = env.Counts({property});
    const InventoryLevels levels = env.inventory().Levels(property).value();
    MESSAGE("after ", testing::SecondsSince(start), " s: CONFIRMED ",
            counts[BookingStatus::kConfirmed], ", FAILED_PAYMENT ",
            counts[BookingStatus::kFailedPayment], ", SOLD_OUT ", counts[BookingStatus::kSoldOut],
            ", WAITLISTED ", counts[BookingStatus::kWaitlisted], "; Redis: available ",
            levels.available, ", held ", levels.held, ", sold ", levels.sold, ", waiting ",
            levels.waiting);
    REQUIRE_MESSAGE(all, "only ", env.Terminal({property}), " of ", kRequests,
                    " terminal after 120 s; see ", env.dir());
    CHECK(counts[BookingStatus::kConfirmed] == kUnits);
    CHECK(levels.sold == kUnits);
    CHECK(levels.available == 0);  // kNoUnitIdleWhileWaiting: no room left unsold
    CHECK(levels.waiting == 0);
    REQUIRE_MESSAGE(env.WaitAudited(seconds(120)), "audit did not archive every event; see ",
                    env.dir());
    const auto verified = env.Verify({property});
    CHECK(verified == 0);
    env.Passed(verified == 0 && counts[BookingStatus::kConfirmed] == kUnits);
  }
}

}  // namespace
}  // namespace wanderluxe
