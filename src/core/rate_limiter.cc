#include "wanderluxe/rate_limiter.h"

#include <algorithm>
#include <cmath>

namespace wanderluxe {

RateLimiter::RateLimiter(RateLimit limit, Clock& clock)
    : limit_{limit.per_second, std::max<int64_t>(limit.burst, 1),
             std::max<size_t>(limit.max_clients, 1)},
      clock_(clock) {}

double RateLimiter::Refilled(const Bucket& b, Clock::SteadyTime now) const {
  const double elapsed_s = std::chrono::duration<double>(now - b.at).count();
  return std::min(static_cast<double>(limit_.burst),
                  b.tokens + std::max(elapsed_s, 0.0) * limit_.per_second);
}

bool RateLimiter::MakeRoom(Clock::SteadyTime now) {
  if (now - last_sweep_ < kRateLimiterSweepInterval) return false;
  last_sweep_ = now;
  const size_t before = buckets_.size();
  for (auto it = buckets_.begin(); it != buckets_.end();) {
    it = Refilled(it->second, now) >= static_cast<double>(limit_.burst) ? buckets_.erase(it)
                                                                        : std::next(it);
  }
  return buckets_.size() < before;
}

RateDecision RateLimiter::Take(const std::string& client) {
  if (!enabled()) return {};
  const Clock::SteadyTime now = clock_.SteadyNow();
  MutexLock lock(&mu_);
  auto it = buckets_.find(client);
  if (it == buckets_.end()) {
    const bool room = buckets_.size() < limit_.max_clients || MakeRoom(now);
    const std::string& key = room ? client : std::string(kOverflowClient);
    it = buckets_.find(key);
    if (it == buckets_.end()) {
      it = buckets_.emplace(key, Bucket{static_cast<double>(limit_.burst), now}).first;
    }
  }
  Bucket& b = it->second;
  b.tokens = Refilled(b, now);
  b.at = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return {};
  }
  const double wait_s = (1.0 - b.tokens) / limit_.per_second;
  return {false, std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait_s * 1000.0)))};
}

size_t RateLimiter::clients() const {
  MutexLock lock(&mu_);
  return buckets_.size();
}

}  // namespace wanderluxe
