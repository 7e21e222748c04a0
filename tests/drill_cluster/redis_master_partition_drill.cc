// Cluster drill 4 (issue 30), the split-brain case: the roles on the
// cluster's Redis, the herd over three properties each served by a master
// of its own; the master of the first is cut off (netns mode) from its
// replica, the other masters and the roles for three times the cluster's
// node timeout, then healed. The majority fails it over; cut off, the old
// master can have no write acknowledged (its replica never acks the WAIT
// behind an inventory change), so whatever it ran alone is nothing a saga
// was told of, and on healing it rejoins as the new master's replica,
// dropping it. No property sells more than its units and `verify` passes;
// prints how long the property's reserves failed (cluster_herd_drill.h).
#include <doctest/doctest.h>

#include "drill_cluster/node_faults.h"
#include "drill_cluster/reserves_after_fault.h"

namespace wanderluxe {
namespace {

constexpr int kUnits = 200;
// Three times scripts/stack's cluster-node-timeout (2000 ms): long enough
// for the majority to fail the master over while it still believes it leads.
constexpr std::chrono::seconds kCutOffFor{6};

TEST_SUITE("drill-cluster.redis_master_partition") {
  TEST_CASE("a Redis master cut off past the node timeout, healed: no oversell, verify passes") {
    testing::ClusterHerdDrill drill;
    drill.name = "rpart";
    drill.cluster = testing::DrillSpec::Cluster::kNetns;
    drill.cluster_redis = true;
    drill.properties = 3;
    drill.units = kUnits;
    drill.fault =
        testing::RedisMasterFault(testing::PartitionNode(), testing::HealAfter(kCutOffFor));
    drill.afterwards = testing::ReservesResumed;
    testing::RunClusterHerdDrill(drill);
  }
}

}  // namespace
}  // namespace wanderluxe
