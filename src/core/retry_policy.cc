#include "wanderluxe/retry_policy.h"

#include <algorithm>
#include <random>
#include <thread>

namespace wanderluxe {

RetryPolicy RetryPolicy::From(const SagaConfig& c) {
  return {std::chrono::milliseconds(c.retry_initial_ms), std::chrono::milliseconds(c.retry_max_ms),
          c.retry_multiplier, c.retry_jitter_pct};
}

namespace {

// One engine per thread, seeded once: a Backoff is made for every saga step,
// and a std::random_device per Backoff is a system call on every step, a
// cost the hot path must not pay.
std::mt19937_64& JitterRng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

}  // namespace

Backoff::Backoff(const RetryPolicy& policy) : policy_(policy), current_(policy.initial) {}

std::chrono::milliseconds Backoff::Next() {
  ++attempts_;
  const int64_t full = current_.count();
  current_ = std::min(policy_.max, current_ * policy_.multiplier);
  const int64_t spread = full * policy_.jitter_pct / 100;
  if (spread <= 0) return std::chrono::milliseconds(full);
  std::uniform_int_distribution<int64_t> jitter(0, spread);
  return std::chrono::milliseconds(full - jitter(JitterRng()));
}

bool SleepUnlessStopped(std::chrono::milliseconds delay, const std::atomic<bool>& stop) {
  const auto until = std::chrono::steady_clock::now() + delay;
  while (!stop.load()) {
    const auto now = std::chrono::steady_clock::now();
    if (now >= until) return true;
    std::this_thread::sleep_for(
        std::min<std::chrono::steady_clock::duration>(until - now, std::chrono::milliseconds(20)));
  }
  return false;
}

}  // namespace wanderluxe
