// Capped exponential backoff with jitter, for every retry loop that must not
// give up (compensation, ledger writes) and every one bounded by a deadline
// (the ambiguous bank charge); RetryWithBackoff, the loop they share.
//
// Thread safety: a Backoff belongs to one retry loop, on one thread;
// SleepUnlessStopped may run on any thread, and jitter is drawn per thread.
#ifndef WANDERLUXE_RETRY_POLICY_H_
#define WANDERLUXE_RETRY_POLICY_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "wanderluxe/config.h"
#include "wanderluxe/ports/clock.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

struct RetryPolicy {
  std::chrono::milliseconds initial{50};
  std::chrono::milliseconds max{5000};
  int64_t multiplier = 2;
  int64_t jitter_pct = 20;  // each delay is drawn from [d * (1 - j), d]

  static RetryPolicy From(const SagaConfig& config);
};

// The delays of one retry loop: initial, initial*m, ... capped at max, jittered.
class Backoff {
 public:
  explicit Backoff(const RetryPolicy& policy);
  std::chrono::milliseconds Next();
  int attempts() const { return attempts_; }

 private:
  const RetryPolicy policy_;
  std::chrono::milliseconds current_;
  int attempts_ = 0;
};

// Sleeps `delay` unless `stop` becomes true first; returns false if stopped.
bool SleepUnlessStopped(std::chrono::milliseconds delay, const std::atomic<bool>& stop);

inline Status StatusOf(const Status& s) { return s; }
template <typename T>
Status StatusOf(const Result<T>& r) {
  return r.status();
}

// When a retry loop gives up on failures.
struct RetryLimits {
  // Failures retrying may not fix (not IsTransient) before the last one is
  // returned; transient ones count only against max_attempts.
  int max_hard_failures = 1;
  int max_attempts = 0;  // attempts in all; 0: no bound (only `stop` ends it)
};

// The one retry loop: calls `call` (returning a Status or a Result) until it
// succeeds, `is_answer` says its error is an answer retrying cannot change,
// `limits` are reached, or `stop` is set during a backoff; then returns the
// last result. Before each backoff `on_retry(status, attempt, delay)` is told
// (logs, metrics); the backoff is `policy`'s, slept through `clock`.
template <typename Call, typename IsAnswer, typename OnRetry>
auto RetryWithBackoff(const RetryPolicy& policy, const RetryLimits& limits, Clock& clock,
                      const std::atomic<bool>& stop, Call call, IsAnswer is_answer,
                      OnRetry on_retry) -> decltype(call()) {
  Backoff backoff(policy);
  int hard_failures = 0;
  for (int attempt = 1;; ++attempt) {
    auto result = call();
    const Status s = StatusOf(result);
    if (s.ok() || is_answer(s)) return result;
    if (!s.IsTransient() && ++hard_failures >= limits.max_hard_failures) return result;
    if (limits.max_attempts > 0 && attempt >= limits.max_attempts) return result;
    const std::chrono::milliseconds delay = backoff.Next();
    on_retry(s, attempt, delay);
    if (!clock.SleepUnlessStopped(delay, stop)) return result;
  }
}

}  // namespace wanderluxe

#endif  // WANDERLUXE_RETRY_POLICY_H_
