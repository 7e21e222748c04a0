#include "drill_cluster/cluster_herd_drill.h"

#include <doctest/doctest.h>

#include "drill_cluster/answers_against_topic.h"
#include "support/retrying_herd.h"
#include "support/servers.h"

namespace wanderluxe::testing {
namespace {

using std::chrono::seconds;

// About 20 s of herd if nothing failed; the fault lands a fifth of the way in.
constexpr int kClients = 40;
constexpr int kKeysPerClient = 50;
constexpr double kKeysPerSecond = 100;
constexpr int64_t kKeysBeforeFault = 400;
constexpr int kUnits = 50;
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
constexpr seconds kElectionBound{60};

// Where the fault lands.
struct FaultTarget {
  DrillEnv& env;
  std::string topic;
  int partition = 0;
  std::string leader;  // "kafka-N": the broker leading `partition` before the fault
};

// When the fault began and ended, in seconds after the herd started.
struct FaultSpan {
  double began_s = 0;
  double ended_s = 0;
};

// Until every replica of the partition is in sync again: the cluster is
// whole, and what is read back is what all three hold.
void WaitWholeAgain(const FaultTarget& target) {
  PrivateCluster& cluster = target.env.private_cluster();
  std::optional<PartitionLeadership> now;
  const bool whole = WaitUntil(
      [&] {
        now = cluster.Leadership(target.topic, target.partition);
        return now && now->in_sync.size() == 3;
      },
      kPhaseBound);
  REQUIRE_MESSAGE(whole, "partition ", target.partition, " not back to three in-sync replicas (",
                  now ? Listed(now->in_sync) : std::string(" no leader"), ") after ",
                  kPhaseBound.count(), " s; see ", target.env.dir());
  MESSAGE("partition ", target.partition, " whole again: leader ", now->leader, ", in sync",
          Listed(now->in_sync));
}

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

// Polls the partition's leadership (bounded) until a broker other than the
// old leader leads it.
void WaitNewLeader(const FaultTarget& target, std::chrono::steady_clock::time_point since) {
  std::optional<PartitionLeadership> now;
  const bool elected = WaitUntil(
      [&] {
        now = target.env.private_cluster().Leadership(target.topic, target.partition);
        return now && now->leader != target.leader;
      },
      kElectionBound);
  REQUIRE_MESSAGE(elected, "partition ", target.partition, " still led by ",
                  now ? now->leader : std::string("nobody"), " ", kElectionBound.count(),
                  " s after the fault; see ", target.env.dir());
  const double took_s = SecondsSince(since);
  MESSAGE("partition ", target.partition, ": ", now->leader, " leads in place of ", target.leader,
          ", ", took_s * 1000, " ms after the fault; in sync", Listed(now->in_sync));
}

// The drill's fault on the partition's leader, timed against the herd.
FaultSpan Inject(const ClusterHerdDrill& drill, const FaultTarget& target,
                 std::chrono::steady_clock::time_point herd_start) {
  PrivateCluster& cluster = target.env.private_cluster();
  FaultSpan span;
  const auto injected = std::chrono::steady_clock::now();
  span.began_s = SecondsSince(herd_start);
  drill.inject(cluster, target.leader);
  MESSAGE("fault on ", target.leader, " at ", span.began_s, " s");
  WaitNewLeader(target, injected);
  drill.recover(cluster, target.leader, injected);
  span.ended_s = SecondsSince(herd_start);
  MESSAGE("fault on ", target.leader, " ended at ", span.ended_s, " s");
  return span;
}

}  // namespace

void RunClusterHerdDrill(const ClusterHerdDrill& drill) {
  const auto started = std::chrono::steady_clock::now();
  DrillEnv env(
      {drill.name,
       6,
       {"processor.workers=32", "gateway.idem_inflight_ttl_s=" + std::to_string(kInFlightTtlS),
        "kafka.delivery_timeout_ms=" + std::to_string(kDeliveryTimeoutMs),
        "kafka.request_timeout_ms=" + std::to_string(kRequestTimeoutMs)},
       {"redis"},
       false,
       drill.cluster});
  const std::string topic = env.config().kafka.requests_topic;
  const std::string property = env.Property(drill.name, kUnits);
  env.StartEveryRole();
  WaitAccepting(env);
  MESSAGE("cluster and roles up in ", SecondsSince(started), " s");

  RetryingHerdOptions options = HerdOptions(env, property, "k");
  options.clients = kClients;
  options.keys_per_client = kKeysPerClient;
  options.keys_per_second = kKeysPerSecond;
  const auto herd_start = std::chrono::steady_clock::now();
  RetryingHerd herd(options);
  REQUIRE_MESSAGE(WaitUntil([&] { return herd.finished_keys() >= kKeysBeforeFault; }, kPhaseBound),
                  "only ", herd.finished_keys(), " keys answered; see ", env.dir());

  // One property is one partition: the fault hits its leader.
  const std::vector<ConsumedEvent> so_far = env.ReadTopic(topic, seconds(30));
  REQUIRE_MESSAGE(!so_far.empty(), "nothing on ", topic, " after ", kKeysBeforeFault, " answers");
  const int partition = so_far.front().partition;
  const auto leadership = env.private_cluster().Leadership(topic, partition);
  REQUIRE_MESSAGE(leadership.has_value(), "no leader for partition ", partition, " of ", topic);
  const FaultTarget target{env, topic, partition, leadership->leader};
  MESSAGE("the herd's partition ", partition, " is led by ", target.leader, " (in sync",
          Listed(leadership->in_sync), "); fault after ", herd.finished_keys(), " keys");
  const FaultSpan fault = Inject(drill, target, herd_start);

  const RetryingHerdResult result = herd.Wait();
  WaitWholeAgain(target);
  const std::vector<ConsumedEvent> requests = env.ReadTopic(topic);
  int64_t accepted = 0;
  for (const KeyOutcome& key : result.keys) accepted += key.final_status == 202 ? 1 : 0;
  const bool all_terminal = env.WaitTerminal({property}, accepted, kPhaseBound);
  auto ledger = env.ledger().StatusByBooking(property);
  REQUIRE(ledger.ok());
  const AnswersAgainstTopic held = HoldAgainstTopic(result, requests, *ledger);

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
  CHECK_MESSAGE(all_terminal, "only ", env.Terminal({property}), " of ", accepted,
                " accepted bookings terminal; see ", env.dir());
  CHECK(held.accepted_not_terminal.empty());
  auto counts = env.Counts({property});
  MESSAGE("CONFIRMED ", counts[BookingStatus::kConfirmed], ", SOLD_OUT ",
          counts[BookingStatus::kSoldOut], ", FAILED_PAYMENT ",
          counts[BookingStatus::kFailedPayment]);
  CHECK(counts[BookingStatus::kConfirmed] == std::min<int64_t>(kUnits, accepted));

  REQUIRE_MESSAGE(env.WaitAudited(kPhaseBound), "audit did not archive every event; see ",
                  env.dir());
  const auto verified = env.Verify({property});
  CHECK(verified == 0);
  MESSAGE("drill took ", SecondsSince(started), " s");
  env.Passed(verified == 0 && held.refused_but_written.empty() &&
             held.accepted_not_written.empty() && held.accepted_not_terminal.empty() &&
             held.unresolved.empty() && all_terminal);
}

}  // namespace wanderluxe::testing
