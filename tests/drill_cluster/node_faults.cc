#include "drill_cluster/node_faults.h"

#include <doctest/doctest.h>

#include <thread>

namespace wanderluxe::testing {

NodeFault KillNode() {
  return [](PrivateCluster& cluster, const std::string& node) { cluster.Kill(node); };
}

NodeRecovery RestartNode() {
  return [](PrivateCluster& cluster, const std::string& node, auto) {
    MESSAGE(node, " restarted, up in ", cluster.Restart(node), " s");
  };
}

NodeFault PartitionNode() {
  return [](PrivateCluster& cluster, const std::string& node) { cluster.Partition(node); };
}

NodeRecovery HealAfter(std::chrono::milliseconds cut_off_for) {
  return [cut_off_for](PrivateCluster& cluster, const std::string& node,
                       std::chrono::steady_clock::time_point cut) {
    std::this_thread::sleep_until(cut + cut_off_for);  // the fault's length, not a wait
    cluster.Heal(node);
  };
}

}  // namespace wanderluxe::testing
