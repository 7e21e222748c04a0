#include "roles/gateway/status_answers.h"

#include <spdlog/spdlog.h>

#include <memory>

#include "wanderluxe/booking_request.h"
#include "wanderluxe/booking_view.h"

namespace wanderluxe {
namespace {

// `id` as stored; the caller is told of the bookingId it sent.
ApiResponse NotFound(const std::string& id, const std::string& caller) {
  return ProblemResponse(404, "Not Found",
                         "no booking " + std::string(ShownBookingId(caller, id)) + " was accepted");
}

// What one read shows `caller`. Another client's booking is answered as one
// that does not exist: a 403 would confirm that the id is taken.
ApiResponse ShowRead(const Result<BookingStatusRead>& read, const std::string& id,
                     const std::string& caller) {
  if (!read.ok()) {
    spdlog::warn("status of {}: {}", id, read.status().ToString());
    if (read.status().code() == StatusCode::kInternal) {
      return ProblemResponse(
          500, "Internal Server Error",
          "the status of " + std::string(ShownBookingId(caller, id)) + " is unreadable");
    }
    ApiResponse r = ProblemResponse(503, "Service Unavailable", "status views unavailable");
    r.headers.emplace_back("Retry-After", "1");
    return r;
  }
  if (read->view) {
    if (read->view->client_id != caller) return NotFound(id, caller);
    return ApiResponse{200, "application/json", read->view->body, {}};
  }
  if (read->accepted) {
    if (read->accepted->client_id != caller) return NotFound(id, caller);
    return ApiResponse{200, "application/json", AcceptedViewJson(*read->accepted), {}};
  }
  return NotFound(id, caller);
}

// True when the read shows `caller` a booking whose status can still change.
bool WorthWaiting(const Result<BookingStatusRead>& read, const std::string& caller) {
  if (!read.ok()) return false;
  if (read->view) return !read->view->terminal && read->view->client_id == caller;
  return read->accepted && read->accepted->client_id == caller;
}

}  // namespace

struct StatusAnswers::Pending {
  std::string id;
  std::string caller;
  int64_t wait_s = 0;  // > 0: answers carry Preference-Applied
  Respond respond;
};

void StatusAnswers::ReadStarted() {
  MutexLock lock(&mu_);
  ++reads_in_flight_;
}

void StatusAnswers::ReadEnded() {
  MutexLock lock(&mu_);
  if (--reads_in_flight_ == 0) idle_.SignalAll();
}

bool StatusAnswers::WaitIdle(std::chrono::milliseconds bound) {
  MutexLock lock(&mu_);
  return idle_.WaitFor(bound, [&]() REQUIRES(mu_) { return reads_in_flight_ == 0; });
}

int64_t StatusAnswers::reads_in_flight() {
  MutexLock lock(&mu_);
  return reads_in_flight_;
}

void StatusAnswers::ReadAndAnswer(std::shared_ptr<Pending> pending,
                                  std::optional<Clock::SteadyTime> woken_at) {
  ReadStarted();
  reads_.ReadAsync(pending->id, [this, pending, woken_at](Result<BookingStatusRead> read) {
    ApiResponse answer = ShowRead(read, pending->id, pending->caller);
    if (pending->wait_s > 0) {
      answer.headers.emplace_back("Preference-Applied", "wait=" + std::to_string(pending->wait_s));
    }
    pending->respond(std::move(answer));
    if (woken_at) {
      woken_to_answer_.Observe(
          std::chrono::duration<double>(clock_.SteadyNow() - *woken_at).count());
    }
    ReadEnded();
  });
}

void StatusAnswers::Answer(const std::string& shown_id, const std::string& caller,
                           std::optional<int64_t> wait_s, Respond respond) {
  // The booking as stored: the caller's own (kClientScope).
  const std::string id = ScopedBookingId(caller, shown_id);
  auto pending = std::make_shared<Pending>(Pending{id, caller, 0, std::move(respond)});
  if (!wait_s || *wait_s <= 0) return ReadAndAnswer(std::move(pending));
  // Registered before the read: a wake between the read and this line would
  // otherwise be lost, and the guest wait its whole N seconds.
  auto with_wait = std::make_shared<Pending>(Pending{id, caller, *wait_s, pending->respond});
  // In flight before the waiter shows: whoever sees it registered with no
  // read in flight knows its first read is done.
  ReadStarted();
  const std::optional<StatusWaiters::Id> waiter = waiters_.Register(
      id, clock_.SteadyNow() + std::chrono::seconds(*wait_s), [this, with_wait](WaitEnd end) {
        ReadAndAnswer(with_wait,
                      end == WaitEnd::kWoken ? std::optional(clock_.SteadyNow()) : std::nullopt);
      });
  if (!waiter) {  // over max_waiters: at once
    ReadEnded();
    return ReadAndAnswer(std::move(pending));
  }
  reads_.ReadAsync(id, [this, pending, waiter = *waiter](Result<BookingStatusRead> read) {
    // Whoever takes the waiter out answers: here, or its wake (which reads
    // again); a read worth waiting for leaves it to the wake.
    if (!WorthWaiting(read, pending->caller) && waiters_.Cancel(waiter)) {
      pending->respond(ShowRead(read, pending->id, pending->caller));
    }
    ReadEnded();
  });
}

}  // namespace wanderluxe
