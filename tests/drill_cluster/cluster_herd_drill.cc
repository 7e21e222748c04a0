#include "drill_cluster/cluster_herd_drill.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "adapters/redis/redis_cluster_slot.h"
#include "drill_cluster/answers_against_topic.h"
#include "support/retrying_herd.h"
#include "support/servers.h"
#include "wanderluxe/ids.h"

namespace wanderluxe::testing {
namespace {

using std::chrono::seconds;

// About 20 s of herd if nothing failed; the fault lands a fifth of the way in.
constexpr int kClients = 40;
constexpr int kKeysPerClient = 50;
constexpr int64_t kKeysBeforeFault = 400;
// A publish may wait out a leader election: librdkafka retries it on the new
// leader within the delivery timeout. The gateway's claim outlives the
// longest publish (config check), and the clients wait longer than the gateway.
constexpr int64_t kDeliveryTimeoutMs = 20'000;
constexpr int64_t kRequestTimeoutMs = 5'000;
constexpr int kInFlightTtlS = 40;
constexpr std::chrono::milliseconds kClientTimeout{35'000};
constexpr std::chrono::milliseconds kBackoffMax{2'000};
constexpr int kMaxAttempts = 120;
// Refusals belong to the fault: none before it, none later than the longest
// publish after it ended.
constexpr double kRefusalsAfterFaultS = (kDeliveryTimeoutMs + kRequestTimeoutMs) / 1000.0;
constexpr seconds kPhaseBound{180};
// Properties drawn until each master serves one: a third of the slots each.
constexpr int kMaxPropertyDraws = 200;

// Clients that retry no answer, a 409 and a 504 with the same key, and take
// a 503 as final ("not recorded"). Keys are short (ids have a length limit):
// Redis and Kafka are the drill's own.
RetryingHerdOptions HerdOptions(const DrillEnv& env, const std::string& property,
                                const std::string& id_prefix) {
  RetryingHerdOptions options;
  options.url = env.gateway_url();
  options.property_id = property;
  options.id_prefix = id_prefix;
  options.max_attempts = kMaxAttempts;
  options.backoff_max = kBackoffMax;
  options.request_timeout = kClientTimeout;
  options.resend_every = 0;
  options.retry_on = {0, 409, 504};
  return options;
}

// The gateway refuses (503) until its producer holds an idempotence id from
// the fresh cluster: one booking of a property of its own, retried until
// accepted (bounded), shows the whole path takes bookings.
void WaitAccepting(DrillEnv& env) {
  RetryingHerdOptions options = HerdOptions(env, env.Property("probe", 1), "probe");
  options.clients = 1;
  options.keys_per_client = 1;
  options.retry_on.insert(503);
  const auto start = std::chrono::steady_clock::now();
  const RetryingHerdResult probe = RetryingHerd(options).Wait();
  REQUIRE_MESSAGE(probe.keys.size() == 1, "the probe booking was not sent");
  REQUIRE_MESSAGE(probe.keys.front().final_status == 202, "the gateway answered ",
                  probe.keys.front().final_status, " to a probe booking after ",
                  probe.keys.front().attempts, " attempts; see ", env.dir());
  MESSAGE("the gateway accepted a probe booking after ", probe.keys.front().attempts,
          " attempts, in ", SecondsSince(start), " s");
}

// `count` properties seeded with `units` each; more than one are drawn
// until each is served by a Redis master none of the others is on (a
// property's keys are tagged by its id, so its id's slot is theirs).
std::vector<std::string> SpreadProperties(DrillEnv& env, const std::string& label, int count,
                                          int units) {
  if (count == 1) return {env.Property(label, units)};
  std::vector<std::string> properties;
  std::set<std::string> masters;
  for (int draw = 0; draw < kMaxPropertyDraws && static_cast<int>(properties.size()) < count;
       ++draw) {
    const std::string property = UniqueName("prop-drill-" + label);
    const std::string master = env.private_cluster().SlotMaster(RedisKeySlot(property));
    if (master.empty() || !masters.insert(master).second) continue;
    env.Seed(property, units);
    properties.push_back(property);
    MESSAGE("property ", properties.size(), " ", property, ": slot ", RedisKeySlot(property),
            ", master ", master);
  }
  REQUIRE_MESSAGE(static_cast<int>(properties.size()) == count, "only ", properties.size(),
                  " properties on distinct masters after ", kMaxPropertyDraws, " draws");
  return properties;
}

// Bookings of each property answered 202 at last.
std::map<std::string, int64_t> AcceptedByProperty(const RetryingHerdResult& herd) {
  std::map<std::string, int64_t> accepted;
  for (const KeyOutcome& key : herd.keys) accepted[key.property_id] += key.final_status == 202;
  return accepted;
}

// I1 of each property in the ledger's words: never more CONFIRMED than
// seeded units, and every unit sold while a booking found none (each
// accepted booking ends CONFIRMED or SOLD_OUT: the bank declines none).
bool CheckSoldPerProperty(DrillEnv& env, const std::vector<std::string>& properties, int units,
                          const std::map<std::string, int64_t>& accepted) {
  bool held = true;
  for (const std::string& property : properties) {
    auto counts = env.Counts({property});
    const int64_t confirmed = counts[BookingStatus::kConfirmed];
    const auto of_property = accepted.find(property);
    const int64_t answered_202 = of_property == accepted.end() ? 0 : of_property->second;
    const int64_t expected = std::min<int64_t>(units, answered_202);
    MESSAGE(property, ": CONFIRMED ", confirmed, " of ", units, " units (", answered_202,
            " accepted), SOLD_OUT ", counts[BookingStatus::kSoldOut], ", FAILED_PAYMENT ",
            counts[BookingStatus::kFailedPayment]);
    CHECK_MESSAGE(confirmed <= units, property, " oversold: ", confirmed, " CONFIRMED of ", units);
    CHECK(confirmed == expected);
    held = held && confirmed == expected;
  }
  return held;
}

}  // namespace

FaultSpan FaultBeginsNow(const HerdInFlight& herd) {
  FaultSpan span;
  span.began_s = SecondsSince(herd.herd_start);
  span.began_unix_ms = NowUnixMillis();
  return span;
}

void RunClusterHerdDrill(const ClusterHerdDrill& drill) {
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::string> sets = {
      "processor.workers=32", "gateway.idem_inflight_ttl_s=" + std::to_string(kInFlightTtlS),
      "kafka.delivery_timeout_ms=" + std::to_string(kDeliveryTimeoutMs),
      "kafka.request_timeout_ms=" + std::to_string(kRequestTimeoutMs)};
  sets.insert(sets.end(), drill.sets.begin(), drill.sets.end());
  DrillEnv env(
      {drill.name, 6, sets,
       drill.cluster_redis ? std::vector<std::string>{} : std::vector<std::string>{"redis"}, false,
       drill.cluster});
  const std::string topic = env.config().kafka.requests_topic;
  const std::vector<std::string> properties =
      SpreadProperties(env, drill.name, drill.properties, drill.units);
  const std::vector<ChildProcess*> processors = env.StartEveryRole(drill.processors);
  WaitAccepting(env);
  MESSAGE("cluster and roles up in ", SecondsSince(started), " s");

  RetryingHerdOptions options = HerdOptions(env, properties.front(), "k");
  options.properties = properties;
  options.clients = kClients;
  options.keys_per_client = kKeysPerClient;
  options.keys_per_second = drill.keys_per_second;
  const auto herd_start = std::chrono::steady_clock::now();
  RetryingHerd herd(options);
  REQUIRE_MESSAGE(WaitUntil([&] { return herd.finished_keys() >= kKeysBeforeFault; }, kPhaseBound),
                  "only ", herd.finished_keys(), " keys answered; see ", env.dir());
  MESSAGE("fault after ", herd.finished_keys(), " keys");
  const FaultSpan fault = drill.fault({env, properties, processors, herd_start});

  const RetryingHerdResult result = herd.Wait();
  const std::vector<ConsumedEvent> requests = env.ReadTopic(topic);
  const std::map<std::string, int64_t> accepted_by = AcceptedByProperty(result);
  int64_t accepted = 0;
  for (const auto& [property, n] : accepted_by) accepted += n;
  const bool all_terminal = env.WaitTerminal(properties, accepted, kPhaseBound);
  std::map<std::string, BookingStatus> ledger;
  for (const std::string& property : properties) {
    auto statuses = env.ledger().StatusByBooking(property);
    REQUIRE(statuses.ok());
    ledger.insert(statuses->begin(), statuses->end());
  }
  const AnswersAgainstTopic held = HoldAgainstTopic(result, requests, ledger);

  MESSAGE(result.keys.size(), " keys, ", result.requests, " requests in ", result.seconds,
          " s; every answer (0 = none):", held.statuses, "; final 202: ", held.final_202,
          ", final 503: ", held.final_503, "; ", requests.size(), " messages on the topic");
  if (held.not_accepted_answers > 0) {
    MESSAGE("answers other than 202: ", held.not_accepted_answers, " from ",
            held.first_not_accepted_s, " s to ", held.last_not_accepted_s, " s: a window of ",
            (held.last_not_accepted_s - held.first_not_accepted_s) * 1000, " ms (fault from ",
            fault.began_s, " s to ", fault.ended_s, " s)");
    CHECK_MESSAGE(held.first_not_accepted_s >= fault.began_s,
                  "an answer other than 202 before the fault, at ", held.first_not_accepted_s,
                  " s");
    CHECK_MESSAGE(held.last_not_accepted_s <= fault.ended_s + kRefusalsAfterFaultS,
                  "an answer other than 202 at ", held.last_not_accepted_s,
                  " s, long after the fault ended at ", fault.ended_s, " s");
  } else {
    MESSAGE("answers other than 202: none (fault from ", fault.began_s, " s to ", fault.ended_s,
            " s)");
  }
  MESSAGE("final 503 with an event on the topic: ", held.refused_but_written.size(),
          Listed(held.refused_but_written));
  MESSAGE("202 whose event is not on the topic: ", held.accepted_not_written.size(),
          Listed(held.accepted_not_written));
  MESSAGE("202 whose booking is not terminal: ", held.accepted_not_terminal.size(),
          Listed(held.accepted_not_terminal));
  CHECK(held.refused_but_written.empty());
  CHECK(held.accepted_not_written.empty());
  CHECK_MESSAGE(held.unresolved.empty(), "keys out of attempts:", Listed(held.unresolved));
  CHECK_MESSAGE(all_terminal, "only ", env.Terminal(properties), " of ", accepted,
                " accepted bookings terminal; see ", env.dir());
  CHECK(held.accepted_not_terminal.empty());
  const bool sold_right = CheckSoldPerProperty(env, properties, drill.units, accepted_by);
  const bool own_checks = !drill.afterwards || drill.afterwards(env, properties, fault);

  REQUIRE_MESSAGE(env.WaitAudited(kPhaseBound), "audit did not archive every event; see ",
                  env.dir());
  const auto verified = env.Verify(properties);
  CHECK(verified == 0);
  MESSAGE("drill took ", SecondsSince(started), " s");
  env.Passed(verified == 0 && held.refused_but_written.empty() &&
             held.accepted_not_written.empty() && held.accepted_not_terminal.empty() &&
             held.unresolved.empty() && all_terminal && sold_right && own_checks);
}

}  // namespace wanderluxe::testing
