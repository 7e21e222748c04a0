// Wakes the guests waiting for an outcome (StatusWaiters): one thread reads
// `booking.outcomes` through a TopicTail and wakes the waiters of each
// event's key, the bookingId (docs/contract.md "Kafka"), and between polls
// times out the waiters whose deadline has passed. Events are not decoded:
// the key says whose outcome it is, and a woken waiter reads the view.
// Each event's lag, from its timestamp (the producer's clock) to its read
// here, is observed in a histogram: how late the guests hear of outcomes.
//
// Thread safety: Start and Stop are called by one owner thread; the watch's
// own thread is the only one to touch the tail. Stop joins it.
#ifndef WANDERLUXE_OUTCOME_WATCH_H_
#define WANDERLUXE_OUTCOME_WATCH_H_

#include <atomic>
#include <chrono>
#include <thread>

#include "wanderluxe/metrics.h"
#include "wanderluxe/ports/clock.h"
#include "wanderluxe/ports/topic_tail.h"
#include "wanderluxe/status_waiters.h"

namespace wanderluxe {

// How long one poll of the tail waits: also how late past its deadline a
// waiter may be answered, and how long a stop may take.
inline constexpr std::chrono::milliseconds kOutcomeWatchTick{50};

class OutcomeWatch {
 public:
  // All four must outlive the watch.
  OutcomeWatch(TopicTail& tail, StatusWaiters& waiters, Clock& clock, Histogram& lag)
      : tail_(tail), waiters_(waiters), clock_(clock), lag_(lag) {}
  ~OutcomeWatch() { Stop(); }

  void Start();
  void Stop();  // idempotent

  // Events read, and read errors, so far (for /metrics).
  int64_t events() const { return events_.load(std::memory_order_relaxed); }
  int64_t errors() const { return errors_.load(std::memory_order_relaxed); }

 private:
  void Run();

  TopicTail& tail_;
  StatusWaiters& waiters_;
  Clock& clock_;
  Histogram& lag_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> events_{0};
  std::atomic<int64_t> errors_{0};
  std::thread thread_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_OUTCOME_WATCH_H_
