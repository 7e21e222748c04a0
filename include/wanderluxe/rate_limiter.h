// Per-client token buckets: a public API's answer to one client taking what
// belongs to all (a bot flooding reads, a script resending in a loop). Each
// client (an API client's id, else its address) gets `burst` requests at
// once and `per_second` after; a request over that is refused with how long
// until a token is back (429 and Retry-After at the gateway).
//
// Memory is bounded: at most `max_clients` buckets. A bucket that has
// refilled completely holds nothing a new one would not, so it is dropped
// when room is needed (at most once per kRateLimiterSweepInterval); if every
// bucket is still in use, clients beyond the bound share one bucket
// (kOverflowClient), so a flood of new addresses is limited as one client
// rather than growing the map.
//
// Thread safety: Take may be called from any number of threads at once
// (one mutex; a map lookup and some arithmetic under it).
#ifndef WANDERLUXE_RATE_LIMITER_H_
#define WANDERLUXE_RATE_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/clock.h"

namespace wanderluxe {

inline constexpr const char* kOverflowClient = "(clients over the bound)";
// A full map is swept for refilled buckets at most this often: a flood of
// new clients must not buy a sweep of the whole map each.
inline constexpr std::chrono::seconds kRateLimiterSweepInterval{1};

struct RateLimit {
  double per_second = 0;  // 0: no limit
  int64_t burst = 1;      // at least 1
  size_t max_clients = 100'000;
};

struct RateDecision {
  bool allowed = true;
  std::chrono::milliseconds retry_after{0};  // when refused: until a token is back
};

class RateLimiter {
 public:
  RateLimiter(RateLimit limit, Clock& clock);

  RateLimiter(const RateLimiter&) = delete;
  RateLimiter& operator=(const RateLimiter&) = delete;

  bool enabled() const { return limit_.per_second > 0; }
  // Takes one token of `client`'s bucket, or says how long until there is one.
  RateDecision Take(const std::string& client) EXCLUDES(mu_);
  size_t clients() const EXCLUDES(mu_);

 private:
  struct Bucket {
    double tokens;
    Clock::SteadyTime at;  // when `tokens` was counted
  };
  // Tokens of `b` now, refilled since it was counted.
  double Refilled(const Bucket& b, Clock::SteadyTime now) const;
  // Room for one more bucket: drops the full ones; false if none was.
  bool MakeRoom(Clock::SteadyTime now) REQUIRES(mu_);

  const RateLimit limit_;
  Clock& clock_;
  mutable Mutex mu_;
  std::unordered_map<std::string, Bucket> buckets_ GUARDED_BY(mu_);
  Clock::SteadyTime last_sweep_ GUARDED_BY(mu_){};
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_RATE_LIMITER_H_
