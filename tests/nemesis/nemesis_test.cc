// The nemesis (issue 30; ctest label `nemesis`, which scripts/test does not
// run): a paced herd books many properties through two gateways and three
// processors on a private cluster in netns mode, while a seeded schedule
// kills, pauses and partitions one Kafka broker, Redis node, gateway or
// processor at a time. Then every fault is healed, every 202 must end
// terminal, no 503 may have left an event on the topic, and `wanderluxe
// verify` must pass I1-I7.
//
//   wanderluxe_tests --test-suite=nemesis -- --minutes M --seed S
//   scripts/nemesis --minutes M --seed S        (builds first)
#include <doctest/doctest.h>

#include <cmath>
#include <random>

#include "drill_cluster/answers_against_topic.h"
#include "drill_cluster/scaled_system.h"
#include "nemesis/fault_schedule.h"
#include "nemesis/nemesis.h"
#include "support/test_args.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;
using testing::DrillSpec;

constexpr double kDefaultMinutes = 3;
constexpr int kProperties = 300;
constexpr int64_t kUnits = 10;
constexpr int kClients = 32;
constexpr double kKeysPerSecond = 20;
constexpr int kPartitions = 6;
// A pause outlasts the saga lease, so another processor takes the paused
// one's sagas over; the lease must exceed two bank calls (config check).
constexpr int64_t kLeaseMs = 10'000;
constexpr int64_t kBankTimeoutMs = 2'000;
// As the cluster drills': a publish may wait out an election, the gateway's
// claim outlives the longest publish, and the clients wait longer still.
constexpr int64_t kDeliveryTimeoutMs = 20'000;
constexpr int64_t kRequestTimeoutMs = 5'000;
constexpr int kInFlightTtlS = 40;
constexpr std::chrono::milliseconds kClientTimeout{35'000};
constexpr std::chrono::milliseconds kBackoffMax{2'000};
// A key's retries (409 while a killed gateway's claim lives, no answer while
// both paths are down) span minutes before it runs out.
constexpr int kMaxAttempts = 300;
constexpr seconds kQuiescenceBound{300};

uint64_t Seed() {
  if (auto seed = testing::TestArg("seed")) return std::stoull(*seed);
  return std::random_device{}() | (static_cast<uint64_t>(std::random_device{}()) << 32);
}

testing::ScheduleShape Shape(double minutes) {
  testing::ScheduleShape shape;
  shape.nodes = {"kafka-1", "kafka-2", "kafka-3", "redis-1", "redis-2",
                 "redis-3", "redis-4", "redis-5", "redis-6"};
  shape.roles = {"gateway", "gateway-2", "processor-1", "processor-2", "processor-3"};
  shape.lease_s = kLeaseMs / 1000.0;
  shape.seconds = minutes * 60;
  return shape;
}

testing::RetryingHerdOptions Herd(const testing::ScaledSystem& system,
                                  const std::vector<std::string>& properties, double minutes) {
  testing::RetryingHerdOptions options = testing::HerdThrough(system, properties);
  options.id_prefix = std::string("n");
  options.clients = kClients;
  options.keys_per_client = static_cast<int>(std::ceil(minutes * 60 * kKeysPerSecond / kClients));
  options.keys_per_second = kKeysPerSecond;
  options.max_attempts = kMaxAttempts;
  options.backoff_max = kBackoffMax;
  options.request_timeout = kClientTimeout;
  return options;
}

DrillSpec Spec() {
  return {"nemesis",
          kPartitions,
          {"processor.workers=32", "redis.replica_acks=1", "redis.database=0",
           "saga.lease_ms=" + std::to_string(kLeaseMs),
           "bank.request_timeout_ms=" + std::to_string(kBankTimeoutMs),
           "gateway.idem_inflight_ttl_s=" + std::to_string(kInFlightTtlS),
           "kafka.delivery_timeout_ms=" + std::to_string(kDeliveryTimeoutMs),
           "kafka.request_timeout_ms=" + std::to_string(kRequestTimeoutMs)},
          {},
          false,
          DrillSpec::Cluster::kNetns};
}

// Runs the schedule's faults one after the other while the herd books.
int RunSchedule(testing::Nemesis& nemesis, const std::vector<testing::Fault>& schedule,
                const testing::RetryingHerd& herd, std::chrono::steady_clock::time_point start) {
  int injected = 0;
  for (const testing::Fault& fault : schedule) {
    std::this_thread::sleep_for(
        std::chrono::milliseconds(static_cast<int64_t>(fault.quiet_s * 1000)));
    if (herd.finished_keys() >= herd.total_keys()) break;
    const double at = testing::SecondsSince(start);
    nemesis.Apply(fault);
    ++injected;
    MESSAGE("fault ", injected, " at ", at, " s: ", testing::Describe(fault), "; whole again at ",
            testing::SecondsSince(start), " s; keys answered so far: ", herd.finished_keys());
  }
  return injected;
}

// Properties with a unit still available and a booking that ended
// SOLD_OUT: no invariant forbids one (a hold given back after the refusal
// leaves it so, and I7 covers only bookings that waited), but each is named
// with what it holds, so a run that shows one can be looked into.
void ReportUnsoldWhileRefused(testing::DrillEnv& env, const std::vector<std::string>& properties) {
  int64_t found = 0;
  for (const std::string& property : properties) {
    auto levels = env.inventory().Levels(property);
    if (!levels.ok() || levels->available == 0) continue;
    auto sold_out = env.ledger().IdsWithStatus(property, BookingStatus::kSoldOut);
    if (!sold_out.ok() || sold_out->empty()) continue;
    ++found;
    MESSAGE(property, ": available ", levels->available, ", held ", levels->held, ", sold ",
            levels->sold, ", waiting ", levels->waiting, "; SOLD_OUT ", sold_out->size(), ":",
            testing::Listed(*sold_out, 5));
  }
  MESSAGE("properties with a unit available and a SOLD_OUT booking: ", found);
}

TEST_SUITE("nemesis") {
  TEST_CASE("seeded kills, pauses and partitions of nodes and roles under a paced herd") {
    const uint64_t seed = Seed();
    const double minutes =
        testing::TestArg("minutes") ? std::stod(*testing::TestArg("minutes")) : kDefaultMinutes;
    const std::vector<testing::Fault> schedule = testing::FaultSchedule(seed, Shape(minutes));
    std::string listed;
    for (const auto& f : schedule) listed += "\n  " + testing::Describe(f);
    MESSAGE("nemesis seed ", seed, ", ", minutes, " minutes; replay: scripts/nemesis --minutes ",
            minutes, " --seed ", seed, "; schedule:", listed);

    testing::DrillEnv env(Spec());
    const std::vector<std::string> properties = testing::SpreadProperties(env, kProperties, kUnits);
    testing::ScaledSystem system = testing::StartScaledSystem(env, 2, 3);
    testing::Nemesis nemesis(env, system);

    const auto start = std::chrono::steady_clock::now();
    testing::RetryingHerd herd(Herd(system, properties, minutes));
    const int injected = RunSchedule(nemesis, schedule, herd, start);
    const testing::RetryingHerdResult result = herd.Wait();
    MESSAGE(injected, " faults injected; the herd ended at ", testing::SecondsSince(start), " s");

    int64_t accepted = 0;
    for (const auto& key : result.keys) accepted += key.final_status == 202 ? 1 : 0;
    const bool quiescent = env.WaitTerminal(properties, accepted, kQuiescenceBound);
    const auto requests = env.ReadTopic(env.config().kafka.requests_topic);
    const auto held = HoldAgainstTopic(result, requests, testing::LedgerStatuses(env, properties));
    MESSAGE(result.keys.size(), " keys, ", result.requests,
            " requests; every answer (0 = none):", held.statuses, "; final 202: ", held.final_202,
            ", final 503: ", held.final_503, "; ", requests.size(), " messages on the topic");
    MESSAGE("final 503 with an event on the topic: ", held.refused_but_written.size(),
            testing::Listed(held.refused_but_written));
    MESSAGE("202 whose event is not on the topic: ", held.accepted_not_written.size(),
            testing::Listed(held.accepted_not_written));
    MESSAGE("202 whose booking is not terminal: ", held.accepted_not_terminal.size(),
            testing::Listed(held.accepted_not_terminal));
    auto counts = env.Counts(properties);
    MESSAGE("CONFIRMED ", counts[BookingStatus::kConfirmed], ", SOLD_OUT ",
            counts[BookingStatus::kSoldOut], ", FAILED_PAYMENT ",
            counts[BookingStatus::kFailedPayment]);
    CHECK_MESSAGE(quiescent, "only ", env.Terminal(properties), " of ", accepted,
                  " accepted bookings terminal after ", kQuiescenceBound.count(), " s; see ",
                  env.dir());
    CHECK(held.refused_but_written.empty());
    CHECK(held.accepted_not_written.empty());
    CHECK(held.accepted_not_terminal.empty());
    CHECK_MESSAGE(held.unresolved.empty(),
                  "keys out of attempts:", testing::Listed(held.unresolved));
    const bool audited = env.WaitAudited(kQuiescenceBound);
    CHECK_MESSAGE(audited, "audit did not archive every event; see ", env.dir());
    ReportUnsoldWhileRefused(env, properties);
    const auto verified = env.Verify(properties);
    CHECK(verified == 0);
    MESSAGE("nemesis seed ", seed, ": ", (verified == 0 ? "verify passed" : "verify FAILED"));
    env.Passed(verified == 0 && quiescent && audited && held.refused_but_written.empty() &&
               held.accepted_not_written.empty() && held.accepted_not_terminal.empty() &&
               held.unresolved.empty());
  }
}

}  // namespace
}  // namespace wanderluxe
