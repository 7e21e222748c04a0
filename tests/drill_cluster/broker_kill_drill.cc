// Cluster drill 1 (issue 30): the broker leading the herd's partition is
// SIGKILLed mid-herd, then restarted on its log. With three replicas and
// min.insync.replicas 2 the other two elect a leader among themselves and
// go on taking acks=all writes: no 202 is lost, no 503 left an event, and
// refusals (if any) fall inside the election (cluster_herd_drill.h).
#include <doctest/doctest.h>

#include "drill_cluster/cluster_herd_drill.h"

namespace wanderluxe {
namespace {

TEST_SUITE("drill-cluster.broker_kill") {
  TEST_CASE("the partition leader SIGKILLed mid-herd, restarted: every answer true of the topic") {
    testing::RunClusterHerdDrill(
        {"cluster-kill", testing::DrillSpec::Cluster::kLoopback,
         [](const testing::FaultTarget& target) {
           testing::PrivateCluster& cluster = target.env.private_cluster();
           testing::FaultSpan span;
           const auto killed = std::chrono::steady_clock::now();
           span.began_s = testing::SecondsSince(target.herd_start);
           cluster.Kill(target.leader);
           MESSAGE("SIGKILLed ", target.leader, " at ", span.began_s, " s");
           testing::WaitNewLeader(target, killed);
           const double took_s = cluster.Restart(target.leader);
           span.ended_s = testing::SecondsSince(target.herd_start);
           MESSAGE(target.leader, " restarted, up in ", took_s, " s, at ", span.ended_s, " s");
           return span;
         }});
  }
}

}  // namespace
}  // namespace wanderluxe
