// The gateway's use case: accept a booking request durably, exactly once per
// Idempotency-Key. A 202 is answered only after Kafka acknowledged the event
// (acks=all); a 503 only for a publish certainly not written, which leaves
// nothing behind; a 504 when the outcome is unknown (the event may be written
// or still be), its claim kept and its key marked. No thread waits: claim, publish and completion
// are chained through the callbacks of the idempotency store and the producer.
//
// Thread safety: Submit may be called from any number of threads at once and
// never blocks. Validation runs on the calling thread; the claim's answer on
// the store's I/O thread, the delivery report on the producer's report
// thread, the completion on the store's again. `done` runs exactly once, on
// whichever of these threads has the answer (the calling thread, before
// Submit returns, for an answer known at once: 4xx, 503 at the in-flight
// limit); it must be short and must not block (hand the response to the
// event loop that owns the connection). Each request holds one of
// `max_in_flight` slots until just before its `done` runs. The intake must
// outlive its requests: the destructor waits for those in flight (their
// callbacks use it), bounded, and aborts if they do not end.
#ifndef WANDERLUXE_BOOKING_INTAKE_H_
#define WANDERLUXE_BOOKING_INTAKE_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "wanderluxe/api_response.h"
#include "wanderluxe/booking_request.h"
#include "wanderluxe/client_keys.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/clock.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/ports/idempotency_store.h"

namespace wanderluxe {

struct IntakeOptions {
  RequestLimits limits;
  // gateway.auth_mode=api-key: the keys every request must present; each
  // client's Idempotency-Keys are then its own. Null: no keys (auth_mode none).
  std::shared_ptr<const ClientKeys> client_keys;
  std::string requests_topic = "booking.requests";
  std::chrono::milliseconds in_flight_ttl{30'000};
  std::chrono::milliseconds done_ttl{86'400'000};
  int64_t max_in_flight = 4096;
  Clock* clock = &SystemClock();  // deadlines and event timestamps; not owned
};

// What the HTTP layer hands over: the headers that matter, and the body.
struct IntakeRequest {
  std::string idempotency_key;
  bool has_idempotency_key = false;
  std::string authorization;
  std::string content_type;
  std::string body;
  // The header came more than once: which key the client meant is unknowable.
  bool idempotency_key_repeated = false;
};

class BookingIntake {
 public:
  using Done = std::function<void(ApiResponse)>;

  // The store and the producer must outlive the intake.
  BookingIntake(IntakeOptions options, IdempotencyStore& idempotency, EventProducer& producer,
                MetricsRegistry& metrics);
  ~BookingIntake();

  BookingIntake(const BookingIntake&) = delete;
  BookingIntake& operator=(const BookingIntake&) = delete;

  // Answers `request` through `done`: validation, then claim -> publish ->
  // complete (or drop the claim once the publish certainly failed, or mark the key
  // once its outcome is unknown).
  void Submit(IntakeRequest request, Done done);

  int64_t in_flight() const { return in_flight_.load(); }
  // True once no request is in flight, false when `timeout` passed first.
  bool WaitIdle(std::chrono::milliseconds timeout) EXCLUDES(idle_mu_);

 private:
  struct Attempt;

  // The booking the request asks for, or the answer that refuses it at once (4xx).
  std::variant<BookingRequest, ApiResponse> Validate(const IntakeRequest& request) const;
  void OnClaim(std::shared_ptr<Attempt> attempt, Result<IdempotencyClaim> claim);
  void OnPublished(std::shared_ptr<Attempt> attempt, Status published);
  void OnClaimDropped(std::shared_ptr<Attempt> attempt, Result<bool> marked_unknown);
  void OnMarkedUnknown(std::shared_ptr<Attempt> attempt, Status marked);
  // How long the attempt's claim has left (at most its in-flight TTL).
  std::chrono::seconds ClaimLeft(const Attempt& attempt) const;
  void OnCompleted(std::shared_ptr<Attempt> attempt, Status completed);
  // Gives back the in-flight slot, then runs the request's `done`.
  void Finish(Attempt& attempt, ApiResponse response) EXCLUDES(idle_mu_);

  const IntakeOptions options_;
  IdempotencyStore& idempotency_;
  EventProducer& producer_;
  std::atomic<int64_t> in_flight_{0};
  Mutex idle_mu_;               // for WaitIdle only; in_flight_ is atomic
  CondVar idle_cv_{&idle_mu_};  // in_flight_ reached 0
  Gauge* in_flight_gauge_;
  Histogram* publish_latency_;
  Counter* replays_;
  Counter* publish_failures_;
  Counter* publish_unknown_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_BOOKING_INTAKE_H_
