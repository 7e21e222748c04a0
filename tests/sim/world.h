// One simulated flash sale, built from a seed: a property with a few units
// (and sometimes a waitlist), a few bookings whose events arrive at least
// once (some twice, one bookingId sometimes reused with another payload),
// and the actors that meet over them in production:
//
//   workers     of one or two processors, each taking events as the
//               processor's workers do (BookingSaga::DriveEvent), parking a
//               booking whose saga failed for good (BookingSaga::Park);
//   a batch     BatchAdmission's Decide and Record over several events,
//               then DriveAdmitted / DriveEvent / the sold-out outcome;
//   reconcilers Reconciler::RunOnce on a timer, in each processor;
//   a parker    a booking given up (Park) while its driver still drives;
//   a crash     a processor dies where it stands; its events are
//               delivered again to a new processor;
// and faults at every port call (sim/sim_ports.h). When every actor is done
// the world settles: faults off, a last reconciler drives whatever is left,
// and the checker judges the end state.
//
// Thread safety: none; see sim/scheduler.h.
#ifndef WANDERLUXE_TESTS_SIM_WORLD_H_
#define WANDERLUXE_TESTS_SIM_WORLD_H_

#include <cstdint>
#include <string>
#include <vector>

namespace wanderluxe::sim {

struct WorldResult {
  uint64_t seed = 0;
  std::vector<std::string> violations;  // empty: every invariant held
  std::vector<std::string> trace;       // when asked for
  uint64_t fingerprint = 0;             // of the schedule taken (Scheduler)
  int64_t steps = 0;
  std::string scenario;  // what the seed chose, in a line
};

// Runs the world of `seed`; `keep_trace` keeps every step for a report.
WorldResult RunWorld(uint64_t seed, bool keep_trace = false);

}  // namespace wanderluxe::sim

#endif  // WANDERLUXE_TESTS_SIM_WORLD_H_
