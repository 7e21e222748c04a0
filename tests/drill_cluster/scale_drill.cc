// The system outgrown one machine: a herd over 200 properties through two
// gateways and three processors on the cluster's three Kafka brokers and
// three Redis masters, every answer checked against the topic and the
// ledger, then verify.
//
// drill-cluster.scale runs it with a small herd (scripts/test: the checks).
// bench.cluster_scale (bench/cluster_scale.sh, never ctest) runs the full
// herd through one machine's single stack (one gateway, one processor) and
// through the cluster, both checked alike, and compares what each took per
// second: a throughput figure belongs to a benchmark, not to a test.
#include <doctest/doctest.h>

#include <set>

#include "adapters/redis/redis_cluster_slot.h"
#include "drill_cluster/answers_against_topic.h"
#include "drill_cluster/scaled_system.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;
using testing::DrillEnv;
using testing::DrillSpec;

constexpr int kProperties = 200;
constexpr int64_t kUnits = 8;
constexpr int kClients = 64;
// Keys per client: the benchmark's herd, and the drill's, which only needs
// every property, partition and master hit.
constexpr int kBenchKeysPerClient = 40;
constexpr int kDrillKeysPerClient = 8;
constexpr int kPartitions = 6;
constexpr std::string_view kKeyPrefix = "key";
constexpr seconds kPhaseBound{120};

// What one system did with the herd.
struct Throughput {
  int64_t accepted = 0;
  double accepted_s = 0;  // herd start to its last answer
  double finished_s = 0;  // herd start to the last saga's outcome
  double accepted_per_s() const { return accepted / accepted_s; }
  double finished_per_s() const { return accepted / finished_s; }
};

testing::RetryingHerdOptions Herd(const testing::ScaledSystem& system,
                                  const std::vector<std::string>& properties, int keys_per_client) {
  testing::RetryingHerdOptions options = testing::HerdThrough(system, properties);
  options.id_prefix = std::string(kKeyPrefix);
  options.clients = kClients;
  options.keys_per_client = keys_per_client;
  return options;
}

// Runs the herd through `gateways` and `processors` on `spec`'s servers,
// checks every answer against the topic and the ledger, and verifies.
Throughput RunHerd(DrillSpec spec, int gateways, int processors, bool cluster_redis,
                   int keys_per_client) {
  DrillEnv env(std::move(spec));
  const std::vector<std::string> properties = testing::SpreadProperties(env, kProperties, kUnits);
  const testing::ScaledSystem system = testing::StartScaledSystem(env, gateways, processors);
  const int64_t outcomes_before =
      testing::SumOverProcessors(env, system.processors, "saga_outcomes_total");

  const auto start = std::chrono::steady_clock::now();
  const testing::RetryingHerdResult herd =
      testing::RetryingHerd(Herd(system, properties, keys_per_client)).Wait();
  Throughput t;
  for (const testing::KeyOutcome& key : herd.keys) t.accepted += key.final_status == 202 ? 1 : 0;
  t.accepted_s = herd.seconds;
  const bool finished = testing::WaitUntil(
      [&] {
        return testing::SumOverProcessors(env, system.processors, "saga_outcomes_total") -
                   outcomes_before >=
               t.accepted;
      },
      kPhaseBound);
  t.finished_s = testing::SecondsSince(start);
  CHECK_MESSAGE(finished, "sagas did not finish in ", kPhaseBound.count(), " s; see ", env.dir());
  MESSAGE(gateways, " gateway(s), ", processors, " processor(s): ", t.accepted, " accepted in ",
          t.accepted_s, " s, sagas finished in ", t.finished_s, " s");

  const auto requests = env.ReadTopic(env.config().kafka.requests_topic);
  const auto held = HoldAgainstTopic(herd, requests, testing::LedgerStatuses(env, properties));
  MESSAGE(herd.keys.size(), " keys, every answer:", held.statuses,
          "; partitions hit: ", testing::PartitionsHit(requests).size(), " of ", kPartitions);
  CHECK(testing::PartitionsHit(requests).size() == kPartitions);
  if (cluster_redis) {
    CHECK(testing::SlotRangesHit(properties).size() == 3);
    std::set<std::string> masters;
    for (const std::string& p : properties)
      masters.insert(env.private_cluster().SlotMaster(static_cast<int>(RedisKeySlot(p))));
    CHECK(masters.size() == 3);
  }
  CHECK(held.refused_but_written.empty());
  CHECK(held.accepted_not_written.empty());
  CHECK(held.accepted_not_terminal.empty());
  CHECK_MESSAGE(held.unresolved.empty(), "keys out of attempts:", testing::Listed(held.unresolved));
  REQUIRE_MESSAGE(env.WaitAudited(kPhaseBound), "audit did not archive every event; see ",
                  env.dir());
  const auto verified = env.Verify(properties);
  CHECK(verified == 0);
  env.Passed(verified == 0 && held.refused_but_written.empty() &&
             held.accepted_not_written.empty() && held.accepted_not_terminal.empty());
  return t;
}

DrillSpec ClusterSpec() {
  return {
      "scale3", kPartitions, {"processor.workers=32", "redis.replica_acks=1", "redis.database=0"},
      {},       false,       DrillSpec::Cluster::kLoopback};
}

TEST_SUITE("drill-cluster.scale") {
  TEST_CASE("200 properties through two gateways and three processors on the cluster") {
    RunHerd(ClusterSpec(), 2, 3, true, kDrillKeysPerClient);
  }
}

TEST_SUITE("bench.cluster_scale") {
  TEST_CASE("the herd through one machine's stack, then through the cluster") {
    const auto single =
        RunHerd({"scale1", kPartitions, {"processor.workers=32"}, {"redis", "kafka", "ferretdb"}},
                1, 1, false, kBenchKeysPerClient);
    const auto cluster = RunHerd(ClusterSpec(), 2, 3, true, kBenchKeysPerClient);
    MESSAGE("single stack, 1 gateway 1 processor: ", single.accepted, " accepted in ",
            single.accepted_s, " s = ", single.accepted_per_s(), "/s; sagas finished in ",
            single.finished_s, " s = ", single.finished_per_s(), "/s");
    MESSAGE("cluster, 2 gateways 3 processors: ", cluster.accepted, " accepted in ",
            cluster.accepted_s, " s = ", cluster.accepted_per_s(), "/s; sagas finished in ",
            cluster.finished_s, " s = ", cluster.finished_per_s(), "/s");
    MESSAGE("cluster / single: accepted/s x", cluster.accepted_per_s() / single.accepted_per_s(),
            ", sagas finished/s x", cluster.finished_per_s() / single.finished_per_s());
  }
}

}  // namespace
}  // namespace wanderluxe
