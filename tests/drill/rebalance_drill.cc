// Drill 2 (issue 11): a rebalance while sagas wait on a 2 s bank. Processor A
// may wait up to drain_timeout (20 s) for its revoked partitions' running
// sagas; they take about 2 s, so the revoke must finish well before that, and
// commit what they finished: nothing finished is redelivered (the outcomes
// topic holds exactly one outcome per booking).
#include <doctest/doctest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "support/drill_env.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

TEST_SUITE("drill.rebalance") {
  TEST_CASE("processor B joins while A has sagas in flight on a 2 s bank") {
    constexpr int kProperties = 12, kPerProperty = 20, kWorkers = 16;
    constexpr int kDrainTimeoutMs = 20000;
    constexpr int kBookings = kProperties * kPerProperty;
    testing::DrillEnv env({"rebalance",
                           6,
                           {"bank.latency_ms=2000", "processor.workers=" + std::to_string(kWorkers),
                            "processor.drain_timeout_ms=" + std::to_string(kDrainTimeoutMs)}});
    std::vector<std::string> properties;
    // Units for every booking: each saga really calls the bank.
    for (int i = 0; i < kProperties; ++i)
      properties.push_back(env.Property("rb" + std::to_string(i), kPerProperty));
    env.StartBank();
    env.StartAudit();
    const auto start = std::chrono::steady_clock::now();
    env.StartProcessor("processor-a");
    REQUIRE_MESSAGE(env.WaitAssigned({"processor-a"}, seconds(90)), "A did not join; see ",
                    env.dir());
    for (const auto& p : properties) env.Publish(p, kPerProperty);

    // A is busy: a first wave of sagas went through the bank, the next is in
    // flight (A's own counters: cheap to poll, unlike the sharded ledger).
    int64_t in_flight = 0;
    REQUIRE_MESSAGE(testing::WaitUntil(
                        [&] {
                          in_flight = env.ProcessorMetric("processor-a", "processor_in_flight");
                          return env.ProcessorMetric("processor-a", "saga_outcomes_total") >=
                                     kWorkers &&
                                 in_flight > 0;
                        },
                        seconds(60)),
                    "processor A made no progress with sagas in flight; see ", env.dir());
    const int64_t before_join = env.ProcessorMetric("processor-a", "saga_outcomes_total");
    const double join_s = testing::SecondsSince(start);
    env.StartProcessor("processor-b");
    // B joins the group on its first poll, right after it logs that it consumes.
    REQUIRE_MESSAGE(
        testing::WaitUntil([&] { return env.LogContains("processor-b", "processor consuming"); },
                           seconds(60)),
        "processor B did not start; see ", env.dir());
    const auto joined = std::chrono::steady_clock::now();
    const int64_t in_flight_at_join = env.ProcessorMetric("processor-a", "processor_in_flight");
    REQUIRE_MESSAGE(in_flight_at_join > 0,
                    "A had no saga in flight when B joined: nothing to drill");
    // A logs "revoked N partitions" when its revoke callback returns.
    const bool revoked =
        testing::WaitUntil([&] { return env.LogContains("processor-a", "revoked "); },
                           seconds(kDrainTimeoutMs / 1000 + 30));
    const double revoke_s = testing::SecondsSince(joined);
    const std::string log_a = env.ReadLog("processor-a");
    const bool timed_out = log_a.find("still running past drain_timeout") != std::string::npos;
    MESSAGE("B joined at ", before_join, " outcomes with ", in_flight, " sagas in flight on A (",
            join_s, " s in; ", in_flight_at_join, " when B began polling); A's revoke returned ",
            revoke_s, " s after B began polling (drain_timeout ", kDrainTimeoutMs / 1000, " s)",
            std::string(timed_out ? "; A's drain TIMED OUT" : ""));
    REQUIRE_MESSAGE(revoked, "A never finished a revoke; see ", env.dir());
    CHECK_MESSAGE(revoke_s < kDrainTimeoutMs / 1000.0 / 2, "the revoke took ", revoke_s,
                  " s: it waited for the drain timeout, not for the "
                  "running sagas (~2 s)");
    CHECK_MESSAGE(!timed_out, "A's revoke gave up waiting on its running sagas");

    const bool all = env.WaitTerminal(properties, kBookings, seconds(120));
    MESSAGE("terminal ", env.Terminal(properties), " of ", kBookings, " after ",
            testing::SecondsSince(start), " s");
    REQUIRE_MESSAGE(all, "not every booking finished; see ", env.dir());

    // Nothing finished was redelivered: a redelivered finished booking publishes its outcome again.
    auto outcomes = env.ReadTopic(env.config().kafka.outcomes_topic);
    std::map<std::string, int> per_booking;
    for (const auto& o : outcomes) ++per_booking[o.key];
    int duplicated = 0, extra = 0;
    for (const auto& [id, n] : per_booking) {
      if (n > 1) {
        ++duplicated;
        extra += n - 1;
      }
    }
    MESSAGE("outcomes: ", outcomes.size(), " for ", per_booking.size(), " bookings; ", duplicated,
            " bookings redelivered after they finished (", extra, " extra outcomes)");
    CHECK(per_booking.size() == kBookings);
    CHECK_MESSAGE(duplicated == 0, duplicated, " finished bookings were processed again by B");
    auto counts = env.Counts(properties);
    CHECK(counts[BookingStatus::kConfirmed] == kBookings);

    REQUIRE_MESSAGE(env.WaitAudited(seconds(120)), "audit did not archive every event; see ",
                    env.dir());
    const auto verified = env.Verify(properties);
    CHECK(verified == 0);
    env.Passed(verified == 0 && duplicated == 0 && !timed_out &&
               revoke_s < kDrainTimeoutMs / 2000.0);
  }
}

}  // namespace
}  // namespace wanderluxe
