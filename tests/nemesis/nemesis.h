// Applies one fault of a FaultSchedule to a running system: breaks the node
// or role, holds the fault, ends it (restart, SIGCONT, heal) and waits until
// the cluster is whole again, so that the next fault finds every replica in
// place. Nodes go through PrivateCluster (scripts/stack), roles are the
// DrillEnv's child processes.
#ifndef WANDERLUXE_TESTS_NEMESIS_NEMESIS_H_
#define WANDERLUXE_TESTS_NEMESIS_NEMESIS_H_

#include <string>

#include "drill_cluster/scaled_system.h"
#include "nemesis/fault_schedule.h"
#include "support/drill_env.h"

namespace wanderluxe::testing {

class Nemesis {
 public:
  Nemesis(DrillEnv& env, ScaledSystem& system) : env_(env), system_(system) {}

  // Injects `fault`, holds it, ends it and waits for the cluster to be whole.
  void Apply(const Fault& fault);

 private:
  void Break(const Fault& fault);
  void End(const Fault& fault);
  void RestartRole(const std::string& role);
  // Every node serves its part and every partition of the requests topic
  // has its three replicas in sync again (bounded; a message when not).
  void WaitWhole(const std::string& node);

  DrillEnv& env_;
  ScaledSystem& system_;
};

bool IsNode(const std::string& target);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_NEMESIS_NEMESIS_H_
