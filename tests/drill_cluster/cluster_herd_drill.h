// The shape of the cluster drills (issue 30): on a private cluster, a herd
// of clients books one or more properties through the real gateway,
// retrying no answer, a 409 and a 504 with the same Idempotency-Key and
// taking a 503 as final ("not recorded"). Once the herd runs, the drill's
// fault hits the system (a broker, a Redis master, processors); afterwards
// the topic is read back from the whole cluster and held against every
// answer (AnswersAgainstTopic), every accepted booking must end terminal,
// no property sells more than it was seeded with, and `wanderluxe verify`
// passes.
#ifndef WANDERLUXE_TESTS_DRILL_CLUSTER_CLUSTER_HERD_DRILL_H_
#define WANDERLUXE_TESTS_DRILL_CLUSTER_CLUSTER_HERD_DRILL_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "support/drill_env.h"
#include "support/retrying_herd.h"

namespace wanderluxe::testing {

// When a fault began and ended, in seconds after the herd started; when it
// began on the wall clock too, to hold against the ledger's timestamps.
struct FaultSpan {
  double began_s = 0;
  double ended_s = 0;
  int64_t began_unix_ms = 0;
};

// What a fault sees of the drill while the herd runs.
struct HerdInFlight {
  DrillEnv& env;
  // The herd books them in turn; with more than one, each is served by a
  // Redis master of its own.
  const std::vector<std::string>& properties;
  const std::vector<ChildProcess*>& processors;  // in StartEveryRole's order
  std::chrono::steady_clock::time_point herd_start;
};

// Starts the span of a fault that begins now.
FaultSpan FaultBeginsNow(const HerdInFlight& herd);

struct ClusterHerdDrill {
  std::string name;
  DrillSpec::Cluster cluster = DrillSpec::Cluster::kLoopback;
  // The roles on the cluster's Redis (as config/cluster.yaml has it), or on
  // a standalone Redis of the drill's own.
  bool cluster_redis = false;
  int properties = 1;  // more than one needs cluster_redis
  int units = 50;      // seeded for each property
  int processors = 1;
  double keys_per_second = 100;   // over the whole herd
  std::vector<std::string> sets;  // the drill's own, after the herd's
  // Hits the system once the herd runs and returns once the fault ended
  // (every wait inside bounded), the herd running on.
  std::function<FaultSpan(const HerdInFlight&)> fault;
  // The drill's own figures and checks once every accepted booking is
  // terminal, before verify; whether they held. May be empty.
  std::function<bool(DrillEnv&, const std::vector<std::string>& properties, const FaultSpan&)>
      afterwards;
};

void RunClusterHerdDrill(const ClusterHerdDrill& drill);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_DRILL_CLUSTER_CLUSTER_HERD_DRILL_H_
