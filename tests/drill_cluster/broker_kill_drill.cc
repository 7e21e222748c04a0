// Cluster drill 1 (issue 30): the broker leading the herd's partition is
// SIGKILLed mid-herd, then restarted on its log. With three replicas and
// min.insync.replicas 2 the other two elect a leader among themselves and
// go on taking acks=all writes: no 202 is lost, no 503 left an event, and
// refusals (if any) fall inside the election (cluster_herd_drill.h).
#include <doctest/doctest.h>

#include "drill_cluster/node_faults.h"

namespace wanderluxe {
namespace {

TEST_SUITE("drill-cluster.broker_kill") {
  TEST_CASE("the partition leader SIGKILLed mid-herd, restarted: every answer true of the topic") {
    testing::ClusterHerdDrill drill;
    drill.name = "ckill";
    drill.fault = testing::KafkaLeaderFault(testing::KillNode(), testing::RestartNode());
    testing::RunClusterHerdDrill(drill);
  }
}

}  // namespace
}  // namespace wanderluxe
