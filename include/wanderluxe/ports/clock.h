// Port: time, for the core (as LevelDB's Env is for files and time). Leases,
// the ledger's timestamps, payment deadlines, backoffs and the reconciler's
// threshold all read it, never the system clock, so the simulator
// (tests/sim) can run the real saga on a clock it advances itself.
//
// Thread safety: every call may run concurrently from any number of threads.
// SystemClock keeps no state.
#ifndef WANDERLUXE_PORTS_CLOCK_H_
#define WANDERLUXE_PORTS_CLOCK_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>

namespace wanderluxe {

class Clock {
 public:
  using SteadyTime = std::chrono::steady_clock::time_point;

  virtual ~Clock() = default;

  // Wall-clock time in Unix milliseconds: what leases and the ledger record,
  // compared across hosts only within kLeaseClockSkewMs (config.h).
  virtual int64_t NowUnixMillis() = 0;
  // Monotonic time, for deadlines within one process.
  virtual SteadyTime SteadyNow() = 0;
  // Waits `delay` unless `stop` becomes true first; false when stopped.
  virtual bool SleepUnlessStopped(std::chrono::milliseconds delay,
                                  const std::atomic<bool>& stop) = 0;

  // NowUnixMillis as RFC 3339 UTC with milliseconds.
  std::string NowIso8601();
};

// The machine's clocks.
Clock& SystemClock();

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_CLOCK_H_
