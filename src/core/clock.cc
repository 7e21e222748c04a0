#include "wanderluxe/ports/clock.h"

#include "wanderluxe/ids.h"
#include "wanderluxe/retry_policy.h"

namespace wanderluxe {
namespace {

class MachineClock final : public Clock {
 public:
  int64_t NowUnixMillis() override { return wanderluxe::NowUnixMillis(); }
  SteadyTime SteadyNow() override { return std::chrono::steady_clock::now(); }
  bool SleepUnlessStopped(std::chrono::milliseconds delay, const std::atomic<bool>& stop) override {
    return wanderluxe::SleepUnlessStopped(delay, stop);
  }
};

}  // namespace

std::string Clock::NowIso8601() { return IsoFromUnixMillis(NowUnixMillis()); }

Clock& SystemClock() {
  static MachineClock clock;
  return clock;
}

}  // namespace wanderluxe
