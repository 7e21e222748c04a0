// The gateway's use case: accept a booking request durably, exactly once per
// Idempotency-Key. A 202 is answered only after Kafka acknowledged the event
// (acks=all); a request whose publish failed leaves nothing behind but a 503.
#ifndef WANDERLUXE_BOOKING_INTAKE_H_
#define WANDERLUXE_BOOKING_INTAKE_H_

#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include "wanderluxe/api_response.h"
#include "wanderluxe/booking_request.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/ports/idempotency_store.h"

namespace wanderluxe {

struct IntakeOptions {
  RequestLimits limits;
  bool require_api_key = false;
  std::vector<std::string> api_keys;
  std::string requests_topic = "booking.requests";
  std::chrono::milliseconds in_flight_ttl{30'000};
  std::chrono::milliseconds done_ttl{86'400'000};
  std::chrono::milliseconds publish_timeout{5'000};
  int64_t max_in_flight = 4096;
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
  BookingIntake(IntakeOptions options, IdempotencyStore& idempotency, EventProducer& producer,
                MetricsRegistry& metrics);

  ApiResponse Submit(const IntakeRequest& request);

  int64_t in_flight() const { return in_flight_.load(); }

 private:
  ApiResponse Accept(const IntakeRequest& request, const BookingRequest& booking);
  ApiResponse Publish(const IntakeRequest& request, const BookingRequest& booking,
                      const std::string& token);
  bool Authorized(const std::string& authorization) const;

  const IntakeOptions options_;
  IdempotencyStore& idempotency_;
  EventProducer& producer_;
  std::atomic<int64_t> in_flight_{0};
  Gauge* in_flight_gauge_;
  Histogram* publish_latency_;
  Counter* replays_;
  Counter* publish_failures_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_BOOKING_INTAKE_H_
