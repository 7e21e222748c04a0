// The guests waiting for a booking's outcome (GET with `Prefer: wait=N`,
// DESIGN.md "The status view"): each waiter is registered under its bookingId
// with a deadline, and ends exactly once: woken by an outcome event of its
// booking, timed out at its deadline, ended by Close at shutdown, or
// cancelled by its own request. A request registers before it reads the
// view, so an outcome that comes between the read and the registration is
// not missed: its wake finds the waiter.
//
// Thread safety: every call may run concurrently with any other, from any
// thread. A waiter's `done` runs exactly once, unless Cancel removed it first
// (Cancel then returns true and `done` never runs): on the thread of the
// Wake, Expire or Close that ended it, after the registry's lock is released,
// so `done` may call the registry again. `done` must be short and must not
// block (it runs on the thread that reads the outcomes).
#ifndef WANDERLUXE_STATUS_WAITERS_H_
#define WANDERLUXE_STATUS_WAITERS_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/clock.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {

enum class WaitEnd { kWoken, kTimedOut, kShutdown };

using WaitDone = std::function<void(WaitEnd)>;

// What the registry has done since it was made (gauges for /metrics).
struct WaiterCounts {
  int64_t waiting = 0;    // now
  int64_t woken = 0;      // by an outcome event
  int64_t timed_out = 0;  // at their deadline
  int64_t refused = 0;    // max_waiters were waiting, or the registry was closed
  int64_t shut_down = 0;  // ended by Close
};

class StatusWaiters {
 public:
  using Id = uint64_t;

  // At most `max_waiters` wait at once; 0 refuses every registration.
  explicit StatusWaiters(size_t max_waiters);
  StatusWaiters(const StatusWaiters&) = delete;
  StatusWaiters& operator=(const StatusWaiters&) = delete;

  // A new waiter of `booking_id` until `deadline`; nullopt (counted as
  // refused) when max_waiters wait already or after Close.
  std::optional<Id> Register(const std::string& booking_id, Clock::SteadyTime deadline,
                             WaitDone done);
  // Removes waiter `id`; true when it was still waiting (its `done` will
  // never run), false when it has ended (its `done` has run or is running).
  bool Cancel(Id id);
  // Ends every waiter of `booking_id` with kWoken; how many.
  size_t Wake(const std::string& booking_id);
  // Ends every waiter whose deadline is at or before `now` with kTimedOut; how many.
  size_t Expire(Clock::SteadyTime now);
  // Ends every waiter with kShutdown and refuses registrations from now on.
  void Close();

  WaiterCounts counts() const;

 private:
  struct Waiter {
    std::string booking_id;
    Clock::SteadyTime deadline;
    WaitDone done;
  };

  // Removes waiter `id` from every index; its `done`, to be run unlocked.
  WaitDone Remove(Id id) REQUIRES(mu_);
  // Runs each ended waiter's `done` with `end`, unlocked.
  static void Run(std::vector<WaitDone>& ended, WaitEnd end);

  const size_t max_waiters_;
  mutable Mutex mu_;
  bool closed_ GUARDED_BY(mu_) = false;
  Id next_id_ GUARDED_BY(mu_) = 1;
  std::unordered_map<Id, Waiter> waiters_ GUARDED_BY(mu_);
  std::unordered_map<std::string, std::vector<Id>> by_booking_ GUARDED_BY(mu_);
  std::set<std::pair<Clock::SteadyTime, Id>> by_deadline_ GUARDED_BY(mu_);
  WaiterCounts counts_ GUARDED_BY(mu_);
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_STATUS_WAITERS_H_
