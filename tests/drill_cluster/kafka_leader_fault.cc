#include "drill_cluster/node_faults.h"

#include <doctest/doctest.h>

#include <optional>

#include "support/servers.h"

namespace wanderluxe::testing {
namespace {

using std::chrono::seconds;

constexpr seconds kElectionBound{60};
constexpr seconds kInSyncBound{180};

// Where the fault lands.
struct FaultTarget {
  DrillEnv& env;
  std::string topic;
  int partition = 0;
  std::string leader;  // "kafka-N": the broker leading `partition` before the fault
};

// The partition the herd's property is on, and its leader now.
FaultTarget FindTarget(DrillEnv& env) {
  const std::string topic = env.config().kafka.requests_topic;
  const std::vector<ConsumedEvent> so_far = env.ReadTopic(topic, seconds(30));
  REQUIRE_MESSAGE(!so_far.empty(), "nothing on ", topic, " mid-herd");
  const int partition = so_far.front().partition;
  const auto leadership = env.private_cluster().Leadership(topic, partition);
  REQUIRE_MESSAGE(leadership.has_value(), "no leader for partition ", partition, " of ", topic);
  MESSAGE("the herd's partition ", partition, " is led by ", leadership->leader, " (in sync",
          Listed(leadership->in_sync), ")");
  return {env, topic, partition, leadership->leader};
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
      kInSyncBound);
  REQUIRE_MESSAGE(whole, "partition ", target.partition, " not back to three in-sync replicas (",
                  now ? Listed(now->in_sync) : std::string(" no leader"), ") after ",
                  kInSyncBound.count(), " s; see ", target.env.dir());
  MESSAGE("partition ", target.partition, " whole again: leader ", now->leader, ", in sync",
          Listed(now->in_sync));
}

}  // namespace

std::function<FaultSpan(const HerdInFlight&)> KafkaLeaderFault(NodeFault inject,
                                                               NodeRecovery recover) {
  return [inject, recover](const HerdInFlight& herd) {
    const FaultTarget target = FindTarget(herd.env);
    PrivateCluster& cluster = herd.env.private_cluster();
    const auto injected = std::chrono::steady_clock::now();
    FaultSpan span = FaultBeginsNow(herd);
    inject(cluster, target.leader);
    MESSAGE("fault on ", target.leader, " at ", span.began_s, " s");
    WaitNewLeader(target, injected);
    recover(cluster, target.leader, injected);
    span.ended_s = SecondsSince(herd.herd_start);
    MESSAGE("fault on ", target.leader, " ended at ", span.ended_s, " s");
    WaitWholeAgain(target);
    return span;
  };
}

}  // namespace wanderluxe::testing
