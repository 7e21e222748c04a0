// The shape of the cluster drills (issue 30): on a private three-broker
// cluster, a herd of clients books one property through the real gateway,
// retrying no answer, a 409 and a 504 with the same Idempotency-Key and
// taking a 503 as final ("not recorded"). Once the herd runs, a fault hits
// the broker that leads the property's partition; afterwards the topic is
// read back from the whole cluster and held against every answer
// (AnswersAgainstTopic), every accepted booking must end terminal, and
// `wanderluxe verify` passes.
#ifndef WANDERLUXE_TESTS_DRILL_CLUSTER_CLUSTER_HERD_DRILL_H_
#define WANDERLUXE_TESTS_DRILL_CLUSTER_CLUSTER_HERD_DRILL_H_

#include <chrono>
#include <functional>
#include <string>

#include "support/drill_env.h"

namespace wanderluxe::testing {

struct ClusterHerdDrill {
  std::string name;
  DrillSpec::Cluster cluster = DrillSpec::Cluster::kLoopback;
  // Breaks `leader` and returns at once; the drill then waits (bounded)
  // until another broker leads the partition.
  std::function<void(PrivateCluster&, const std::string& leader)> inject;
  // Ends the fault, `injected` being when it began; returns once it ended.
  std::function<void(PrivateCluster&, const std::string& leader,
                     std::chrono::steady_clock::time_point injected)>
      recover;
};

void RunClusterHerdDrill(const ClusterHerdDrill& drill);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_DRILL_CLUSTER_CLUSTER_HERD_DRILL_H_
