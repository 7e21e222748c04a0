// What a processor's log says of its partitions: the drills read the lines
// BookingProcessor writes on an assignment ("assigned N partitions (now M)")
// and on a revoke ("revoked N partitions in S s", with a note when sagas ran
// past processor.drain_timeout_ms).
#ifndef WANDERLUXE_TESTS_SUPPORT_PROCESSOR_LOG_H_
#define WANDERLUXE_TESTS_SUPPORT_PROCESSOR_LOG_H_

#include <string>
#include <vector>

#include "support/drill_env.h"

namespace wanderluxe::testing {

// Partitions the processor holds by its last assignment and the revokes since.
int PartitionsHeld(const std::string& log);
// Lines announcing an assignment.
int Assignments(const std::string& log);

struct RevokeReport {
  std::string revokes;         // "processor-1: revoked 2 partitions in 0.012; ..."
  int past_drain_timeout = 0;  // revokes that waited out the drain timeout
};
// Every revoke of the named processors' logs, in log order per processor.
RevokeReport Revokes(const DrillEnv& env, const std::vector<std::string>& log_names);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_PROCESSOR_LOG_H_
