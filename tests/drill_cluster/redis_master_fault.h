// A fault on the Redis master serving the herd's first property: `inject`
// breaks it and returns at once; the fault waits (bounded) until another
// node serves the property's slot (the replica promoted), then `recover`
// ends it; the span ends there, and the fault returns once the old master
// replicates the new one, or a bound passed (a CHECK failure).
#ifndef WANDERLUXE_TESTS_DRILL_CLUSTER_REDIS_MASTER_FAULT_H_
#define WANDERLUXE_TESTS_DRILL_CLUSTER_REDIS_MASTER_FAULT_H_

#include <functional>

#include "drill_cluster/cluster_herd_drill.h"

namespace wanderluxe::testing {

std::function<FaultSpan(const HerdInFlight&)> RedisMasterFault(NodeFault inject,
                                                               NodeRecovery recover);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_DRILL_CLUSTER_REDIS_MASTER_FAULT_H_
