#include "wanderluxe/outcome_watch.h"

#include <spdlog/spdlog.h>

#include <algorithm>

namespace wanderluxe {

void OutcomeWatch::Start() {
  thread_ = std::thread([this] { Run(); });
}

void OutcomeWatch::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void OutcomeWatch::Run() {
  while (!stop_.load()) {
    auto event = tail_.Poll(kOutcomeWatchTick);
    if (!event.ok()) {
      // Logged once per run of errors: a broker away fails every poll.
      if (errors_.fetch_add(1) == 0 || errors_.load() % 1000 == 0) {
        spdlog::warn("outcome watch: {} (waiters time out until it reads again)",
                     event.status().ToString());
      }
      clock_.SleepUnlessStopped(kOutcomeWatchTick, stop_);
    } else if (event->has_value()) {
      events_.fetch_add(1, std::memory_order_relaxed);
      if ((*event)->timestamp_ms > 0) {
        // Clocks of two hosts: a negative lag is their skew, observed as 0.
        const int64_t lag_ms = clock_.NowUnixMillis() - (*event)->timestamp_ms;
        lag_.Observe(static_cast<double>(std::max<int64_t>(lag_ms, 0)) / 1000.0);
      }
      waiters_.Wake((*event)->key);
    }
    waiters_.Expire(clock_.SteadyNow());
  }
}

}  // namespace wanderluxe
