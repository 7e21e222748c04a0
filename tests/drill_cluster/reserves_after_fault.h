// When reserves of each property went on after a fault, from the ledger's
// own timestamps: the RESERVED entries of the bookings that reached it
// (CONFIRMED or FAILED_PAYMENT; a SOLD_OUT booking never held a unit). The
// first after the fault is when that property's reserves succeeded again.
#ifndef WANDERLUXE_TESTS_DRILL_CLUSTER_RESERVES_AFTER_FAULT_H_
#define WANDERLUXE_TESTS_DRILL_CLUSTER_RESERVES_AFTER_FAULT_H_

#include <string>
#include <vector>

#include "drill_cluster/cluster_herd_drill.h"

namespace wanderluxe::testing {

// A ClusterHerdDrill::afterwards: prints each property's last reserve before
// the fault and first after it, and checks that the first property (the one
// the fault hit) reserved again.
bool ReservesResumed(DrillEnv& env, const std::vector<std::string>& properties,
                     const FaultSpan& fault);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_DRILL_CLUSTER_RESERVES_AFTER_FAULT_H_
