#include "wanderluxe/booking_intake.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>

#include "wanderluxe/booking_event.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

ApiResponse Unavailable(const std::string& detail) {
  ApiResponse r = ProblemResponse(503, "Service Unavailable", detail);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

// "#/" and the member as one JSON pointer token (RFC 6901: ~ is ~0, / is ~1).
std::string PointerTo(const std::string& member) {
  std::string pointer = "#/";
  for (char c : member) pointer += c == '~' ? "~0" : c == '/' ? "~1" : std::string(1, c);
  return pointer;
}

ApiResponse Invalid(const std::vector<FieldError>& errors) {
  json list = json::array();
  for (const auto& e : errors) {
    json item = {{"field", e.field}, {"detail", e.detail}};
    if (e.kind == FieldError::Kind::kMember) item["pointer"] = PointerTo(e.field);
    list.push_back(item);
  }
  const std::string detail = errors.size() == 1
                                 ? errors[0].field + " " + errors[0].detail
                                 : std::to_string(errors.size()) + " problems with the request";
  // Fields and details are UTF-8 by construction; `replace` keeps a slip from
  // turning a 400 into an exception.
  return ProblemResponse(
      400, "Invalid booking request", detail,
      json{{"errors", list}}.dump(-1, ' ', false, json::error_handler_t::replace));
}

ApiResponse Accepted(const std::string& body, const std::string& booking_id, bool replayed) {
  ApiResponse r{202, "application/json", body, {{"Location", "/api/v1/bookings/" + booking_id}}};
  if (replayed) r.headers.emplace_back("Idempotent-Replayed", "true");
  return r;
}

bool IsJsonContentType(std::string type) {
  std::transform(type.begin(), type.end(), type.begin(), ::tolower);
  type = type.substr(0, type.find(';'));
  type.erase(type.find_last_not_of(" \t") + 1);
  return type == "application/json";
}

// Holds one of the bounded in-flight slots for the life of a request.
class InFlightSlot {
 public:
  InFlightSlot(std::atomic<int64_t>& counter, Gauge* gauge) : counter_(counter), gauge_(gauge) {
    gauge_->Set(++counter_);
  }
  ~InFlightSlot() { gauge_->Set(--counter_); }

 private:
  std::atomic<int64_t>& counter_;
  Gauge* gauge_;
};

}  // namespace

BookingIntake::BookingIntake(IntakeOptions options, IdempotencyStore& idempotency,
                             EventProducer& producer, MetricsRegistry& metrics)
    : options_(std::move(options)),
      idempotency_(idempotency),
      producer_(producer),
      in_flight_gauge_(metrics.GetGauge("gateway_in_flight_requests",
                                        "booking requests being accepted right now")),
      publish_latency_(metrics.GetHistogram("gateway_publish_seconds",
                                            "time from produce to Kafka's acks=all report")),
      replays_(metrics.GetCounter("gateway_idempotent_replays_total",
                                  "requests answered from a stored response")),
      publish_failures_(metrics.GetCounter("gateway_publish_failures_total",
                                           "publishes that failed or timed out (answered 503)")) {}

bool BookingIntake::Authorized(const std::string& authorization) const {
  static const std::string kBearer = "Bearer ";
  if (authorization.rfind(kBearer, 0) != 0) return false;
  const std::string key = authorization.substr(kBearer.size());
  return std::find(options_.api_keys.begin(), options_.api_keys.end(), key) !=
         options_.api_keys.end();
}

ApiResponse BookingIntake::Submit(const IntakeRequest& request) {
  if (options_.require_api_key && !Authorized(request.authorization)) {
    ApiResponse r = ProblemResponse(401, "Unauthorized",
                                    "send Authorization: Bearer <api key> with a known key");
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  if (!IsJsonContentType(request.content_type)) {
    return ProblemResponse(
        415, "Unsupported Media Type",
        "Content-Type must be application/json, got '" + request.content_type + "'");
  }
  std::vector<FieldError> errors;
  if (!request.has_idempotency_key) {
    errors.push_back({"Idempotency-Key", "header is required", FieldError::Kind::kHeader});
  } else if (request.idempotency_key_repeated) {
    errors.push_back(
        {"Idempotency-Key", "header must be sent once, not repeated", FieldError::Kind::kHeader});
  } else if (!IsValidIdempotencyKey(request.idempotency_key)) {
    errors.push_back({"Idempotency-Key", "header must be 1-255 printable ASCII characters",
                      FieldError::Kind::kHeader});
  }
  ParsedRequest parsed = ParseBookingRequest(request.body, options_.limits);
  errors.insert(errors.end(), parsed.errors.begin(), parsed.errors.end());
  if (!errors.empty()) return Invalid(errors);

  if (in_flight_.load() >= options_.max_in_flight) {
    return Unavailable("too many requests in flight; retry shortly");
  }
  InFlightSlot slot(in_flight_, in_flight_gauge_);
  return Accept(request, *parsed.request);
}

ApiResponse BookingIntake::Accept(const IntakeRequest& request, const BookingRequest& booking) {
  const std::string token = NewUuid();
  auto claim = idempotency_.Claim(request.idempotency_key, booking.Fingerprint(), token,
                                  options_.in_flight_ttl);
  if (!claim.ok()) {
    // Fail closed: without the idempotency record we cannot promise exactly-once.
    spdlog::warn("idempotency store unavailable: {}", claim.status().ToString());
    return Unavailable("idempotency store unavailable");
  }
  if (claim->state != IdempotencyClaim::State::kClaimed) {
    if (claim->fingerprint != booking.Fingerprint()) {
      return ProblemResponse(422, "Unprocessable Content",
                             "Idempotency-Key was already used with a different payload");
    }
    if (claim->state == IdempotencyClaim::State::kInFlight) {
      ApiResponse r = ProblemResponse(409, "Conflict",
                                      "a request with this Idempotency-Key is still in flight");
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    replays_->Increment();
    return Accepted(claim->response, booking.booking_id, /*replayed=*/true);
  }
  return Publish(request, booking, token);
}

ApiResponse BookingIntake::Publish(const IntakeRequest& request, const BookingRequest& booking,
                                   const std::string& token) {
  BookingEvent event;
  // One request, one eventId: a gateway that died after Kafka acknowledged
  // the event but before the idempotency record said so publishes it again
  // when the client retries; the copies share this id, so every consumer
  // (the audit archive, the processor) sees one event delivered twice.
  event.event_id =
      NameBasedUuid("booking-event\n" + request.idempotency_key + "\n" + booking.Fingerprint());
  event.timestamp = NowIso8601();
  event.request = booking;
  event.metadata = {NewTraceId(), NewSpanId(), "payment-gateway", request.idempotency_key};
  OutgoingEvent out{options_.requests_topic,
                    booking.property_id,
                    EncodeBookingEvent(event),
                    {{"traceparent", TraceParent(event.metadata.trace_id, event.metadata.span_id)},
                     {"idempotency-key", request.idempotency_key}}};
  const auto start = Clock::now();
  Status published = producer_.Publish(out, options_.publish_timeout);
  publish_latency_->Observe(std::chrono::duration<double>(Clock::now() - start).count());
  if (!published.ok()) {
    publish_failures_->Increment();
    spdlog::warn("publish of booking {} failed: {}", booking.booking_id, published.ToString());
    Status released = idempotency_.Release(request.idempotency_key, token);
    if (!released.ok()) {
      // The claim expires after its in-flight TTL; until then a retry gets 409.
      spdlog::warn("could not release idempotency key: {}", released.ToString());
    }
    return Unavailable("the booking could not be recorded durably; retry with the same key");
  }
  const std::string body = json{
      {"bookingId", booking.booking_id},
      {"eventId", event.event_id},
      {"status", "ACCEPTED"}}.dump();
  // One round trip stores the response to replay and the accepted booking
  // that GET shows until the processor has written it to the ledger.
  Status completed =
      idempotency_.Complete(request.idempotency_key, token, body,
                            {booking, event.event_id, event.timestamp}, options_.done_ttl);
  if (!completed.ok()) {
    // The event is durable, so the answer is still 202. A retry after the
    // in-flight TTL may publish again; the processor deduplicates by bookingId.
    // When Redis failed, GET answers 404 until the processor has the booking.
    spdlog::warn("accepted booking {} but could not store its response: {}", booking.booking_id,
                 completed.ToString());
  }
  return Accepted(body, booking.booking_id, /*replayed=*/false);
}

}  // namespace wanderluxe
