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

// Where the fault lands, handed to it.
struct FaultTarget {
  DrillEnv& env;
  std::string topic;
  int partition = 0;
  std::string leader;  // "kafka-N": the broker leading `partition` before the fault
  std::chrono::steady_clock::time_point herd_start;
};

// When the fault began and ended, in seconds after the herd started.
struct FaultSpan {
  double began_s = 0;
  double ended_s = 0;
};

struct ClusterHerdDrill {
  std::string name;
  DrillSpec::Cluster cluster = DrillSpec::Cluster::kLoopback;
  std::function<FaultSpan(const FaultTarget&)> fault;
};

void RunClusterHerdDrill(const ClusterHerdDrill& drill);

// Polls the partition's leadership (bounded) until a broker other than
// `old_leader` leads it; the seconds after `since` it took, or a REQUIRE failure.
double WaitNewLeader(const FaultTarget& target, std::chrono::steady_clock::time_point since);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_DRILL_CLUSTER_CLUSTER_HERD_DRILL_H_
