// Faults on the cluster node that serves the herd, for ClusterHerdDrill:
// which node (the broker leading the herd's partition, the Redis master of
// its first property), what is done to it (NodeFault) and how it ends
// (NodeRecovery). Each waits (bounded) until the cluster replaced the node
// before it recovers it, and returns once the node is back in its place.
#ifndef WANDERLUXE_TESTS_DRILL_CLUSTER_NODE_FAULTS_H_
#define WANDERLUXE_TESTS_DRILL_CLUSTER_NODE_FAULTS_H_

#include <chrono>
#include <functional>
#include <string>

#include "drill_cluster/cluster_herd_drill.h"

namespace wanderluxe::testing {

// Breaks a node of the cluster and returns at once.
using NodeFault = std::function<void(PrivateCluster&, const std::string& node)>;
// Ends the fault on `node`, `injected` being when it began; returns once it ended.
using NodeRecovery = std::function<void(PrivateCluster&, const std::string& node,
                                        std::chrono::steady_clock::time_point injected)>;

// SIGKILL; a restart on its state, waited for until it serves its part.
NodeFault KillNode();
NodeRecovery RestartNode();
// Cut off (netns mode); healed `cut_off_for` after the cut.
NodeFault PartitionNode();
NodeRecovery HealAfter(std::chrono::milliseconds cut_off_for);

// The broker leading the herd's partition (one property is one partition).
// The span ends at the recovery; the fault returns once all three replicas
// are in sync again, so that what is read back is what all three hold.
std::function<FaultSpan(const HerdInFlight&)> KafkaLeaderFault(NodeFault inject,
                                                               NodeRecovery recover);
// The Redis master serving the herd's first property: the fault waits until
// another node serves its slot (the replica promoted) before the recovery,
// and returns once the old master replicates the new one, or a bound passed
// (a CHECK failure).
std::function<FaultSpan(const HerdInFlight&)> RedisMasterFault(NodeFault inject,
                                                               NodeRecovery recover);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_DRILL_CLUSTER_NODE_FAULTS_H_
