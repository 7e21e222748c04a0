// A fault on the Kafka broker leading the herd's partition (one property is
// one partition): `inject` breaks it and returns at once; the fault waits
// (bounded) until another broker leads the partition, then `recover` ends
// it; the span ends there, and the fault returns once all three replicas
// are in sync again, so that what is read back is what all three hold.
#ifndef WANDERLUXE_TESTS_DRILL_CLUSTER_KAFKA_LEADER_FAULT_H_
#define WANDERLUXE_TESTS_DRILL_CLUSTER_KAFKA_LEADER_FAULT_H_

#include <functional>
#include <string>

#include "drill_cluster/cluster_herd_drill.h"

namespace wanderluxe::testing {

std::function<FaultSpan(const HerdInFlight&)> KafkaLeaderFault(NodeFault inject,
                                                               NodeRecovery recover);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_DRILL_CLUSTER_KAFKA_LEADER_FAULT_H_
