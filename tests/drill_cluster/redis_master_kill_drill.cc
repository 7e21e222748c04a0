// Cluster drill 3 (issue 30): the roles on the cluster's Redis, the herd
// over three properties each served by a master of its own; the master of
// the first is SIGKILLed mid-herd and its replica promoted, then the old
// master restarted (it rejoins as its successor's replica). An inventory
// change is answered only once a replica holds it (redis.replica_acks 1),
// so the promoted replica has every hold and sale a saga was told of: no
// property sells more than its units, no hold is left behind, and `verify`
// passes as it stands, with no `reconcile --fix` first. Prints when that
// property's reserves succeed again (cluster_herd_drill.h).
#include <doctest/doctest.h>

#include "drill_cluster/node_faults.h"
#include "drill_cluster/reserves_after_fault.h"

namespace wanderluxe {
namespace {

// Units a property still has when the fault lands, so that its reserves can go on.
constexpr int kUnits = 200;

TEST_SUITE("drill-cluster.redis_master_kill") {
  TEST_CASE(
      "a Redis master SIGKILLed mid-herd, its replica promoted: no oversell, no leaked hold") {
    testing::ClusterHerdDrill drill;
    drill.name = "rkill";
    drill.cluster_redis = true;
    drill.properties = 3;
    drill.units = kUnits;
    drill.fault = testing::RedisMasterFault(testing::KillNode(), testing::RestartNode());
    drill.afterwards = testing::ReservesResumed;
    testing::RunClusterHerdDrill(drill);
  }
}

}  // namespace
}  // namespace wanderluxe
