// Capped exponential backoff with jitter, for every retry loop that must not
// give up (compensation, ledger writes) and every one bounded by a deadline
// (the ambiguous bank charge).
//
// Thread safety: a Backoff belongs to one retry loop, on one thread;
// SleepUnlessStopped may run on any thread, and jitter is drawn per thread.
#ifndef WANDERLUXE_RETRY_POLICY_H_
#define WANDERLUXE_RETRY_POLICY_H_

#include <atomic>
#include <chrono>
#include <cstdint>

#include "wanderluxe/config.h"

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

}  // namespace wanderluxe

#endif  // WANDERLUXE_RETRY_POLICY_H_
