// Cluster drill 2 (issue 30): the broker leading the herd's partition is cut
// off by a network partition (netns mode: its link to the bridge goes down)
// for 20 s, then healed. Cut off, it can reach neither a follower nor the
// controllers, so it can neither complete an acks=all write nor shrink its
// in-sync set; the other two elect a leader and take the writes. A 202 is
// therefore only given for an event on two replicas at least: read back
// from the healed cluster, every 202's event is there and processed, no 503
// left one, and verify passes (cluster_herd_drill.h).
#include <doctest/doctest.h>

#include "drill_cluster/node_faults.h"

namespace wanderluxe {
namespace {

constexpr std::chrono::seconds kCutOffFor{20};

TEST_SUITE("drill-cluster.leader_partition") {
  TEST_CASE("the partition leader cut off for 20 s mid-herd, healed: every answer true") {
    testing::ClusterHerdDrill drill;
    drill.name = "cpart";
    drill.cluster = testing::DrillSpec::Cluster::kNetns;
    drill.fault =
        testing::KafkaLeaderFault(testing::PartitionNode(), testing::HealAfter(kCutOffFor));
    testing::RunClusterHerdDrill(drill);
  }
}

}  // namespace
}  // namespace wanderluxe
