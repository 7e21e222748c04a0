// The answers of GET /api/v1/bookings/{id} (DESIGN.md "The status view"):
// the booking's status view, served as stored; without one, its accepted
// record as an ACCEPTED view; neither, 404. Another client's booking is a
// 404 too. No ledger read on any path. With `Prefer: wait=N` a booking that
// is not terminal is answered when its outcome event comes, or after N
// seconds (at most gateway.max_wait_s), with its view read again then, and
// `Preference-Applied: wait=N`. The waiter is registered before the first
// read, so an outcome between that read and the registration still wakes
// it. Past gateway.max_waiters, a read is answered at once (RFC 7240 lets a
// server ignore a preference). The time from a wake to its answer (the view
// read again) is observed in a histogram.
//
// Thread safety: Answer may run concurrently with itself, from any thread
// (the loop threads); each request is answered exactly once, on whichever
// thread ends it: a Redis I/O thread, or the outcome watch's through a wake.
// The reads, the waiters and the clock must outlive every answer: the owner
// closes the waiters, then WaitIdle, before destroying any of them.
#ifndef WANDERLUXE_ROLES_GATEWAY_STATUS_ANSWERS_H_
#define WANDERLUXE_ROLES_GATEWAY_STATUS_ANSWERS_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "wanderluxe/api_response.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/clock.h"
#include "wanderluxe/ports/status_reads.h"
#include "wanderluxe/status_waiters.h"

namespace wanderluxe {

class StatusAnswers {
 public:
  using Respond = std::function<void(ApiResponse)>;

  StatusAnswers(StatusReads& reads, StatusWaiters& waiters, Clock& clock,
                Histogram& woken_to_answer)
      : reads_(reads), waiters_(waiters), clock_(clock), woken_to_answer_(woken_to_answer) {}

  // Answers `caller`'s ("" without keys) read of the booking it calls `id`
  // (its own: ScopedBookingId); `wait_s` is the applied wait (the
  // preference, capped), nullopt or 0 for none.
  void Answer(const std::string& id, const std::string& caller, std::optional<int64_t> wait_s,
              Respond respond);

  // True once no read is in flight, false when `bound` passed first. Every
  // read ends within its deadline (status_reads.h).
  bool WaitIdle(std::chrono::milliseconds bound);
  // Reads asked of the store and not yet answered by it.
  int64_t reads_in_flight();

 private:
  struct Pending;

  // Reads once and answers what it finds; `woken_at`, when a wake asked for
  // the read, starts the time observed.
  void ReadAndAnswer(std::shared_ptr<Pending> pending,
                     std::optional<Clock::SteadyTime> woken_at = std::nullopt);
  // Counts a read from its call to the end of its callback.
  void ReadStarted();
  void ReadEnded();

  StatusReads& reads_;
  StatusWaiters& waiters_;
  Clock& clock_;
  Histogram& woken_to_answer_;
  Mutex mu_;
  CondVar idle_{&mu_};
  int64_t reads_in_flight_ GUARDED_BY(mu_) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_GATEWAY_STATUS_ANSWERS_H_
