#include "wanderluxe/booking_intake.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/json_writer.h"
#include "wanderluxe/booking_event.h"
#include "wanderluxe/check.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

ApiResponse Unavailable(const std::string& detail) {
  ApiResponse r = ProblemResponse(503, "Service Unavailable", detail);
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

// The answer that claims neither outcome. `retry_after`: when a retry may
// publish again rather than be told 409 (the kept claim lapses).
ApiResponse OutcomeUnknown(const std::string& detail, std::chrono::seconds retry_after) {
  ApiResponse r = ProblemResponse(
      504, "Gateway Timeout",
      detail + "; the booking may or may not be recorded: retry with the same Idempotency-Key");
  r.headers.emplace_back("Retry-After", std::to_string(std::max<int64_t>(1, retry_after.count())));
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

// An Idempotency-Key is the client's own: two clients that pick the same key
// make two bookings, and neither is replayed the other's answer. Without keys
// (no client) it is the key as sent, as it always was.
std::string ScopedKey(const std::string& client_id, const std::string& key) {
  return client_id.empty() ? key : client_id + ":" + key;
}

// The intake's destructor waits this long for requests in flight. Each ends
// within two Redis command deadlines and the producer's delivery timeout.
constexpr std::chrono::seconds kDestroyDrainBound{60};

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
      publish_failures_(
          metrics.GetCounter("gateway_publish_failures_total", "publishes certainly not written")),
      publish_unknown_(metrics.GetCounter(
          "gateway_publish_unknown_total",
          "publishes whose outcome is unknown: possibly written (answered 504)")) {}

// One request between validation and its answer. Shared by the callbacks
// that carry it from the claim to the answer; only one of them runs at a time.
struct BookingIntake::Attempt {
  std::string key;  // the Idempotency-Key in the client's own scope (ScopedKey)
  std::string fingerprint;
  std::string token;             // this request's claim
  BookingEvent event;            // what is published; its request is the booking
  std::string shown_id;          // the bookingId as the client sent it (kClientScope)
  OutgoingEvent outgoing;        // the event encoded; moved to the producer
  std::string body;              // the 202's, once published
  Clock::SteadyTime claimed_at;  // no later than the claim's own start
  Clock::SteadyTime publish_start;
  Done done;
};

BookingIntake::~BookingIntake() {
  WL_CHECK(WaitIdle(kDestroyDrainBound),
           "BookingIntake destroyed with requests in flight: their callbacks would use it");
}

std::variant<BookingRequest, ApiResponse> BookingIntake::Validate(
    const IntakeRequest& request) const {
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
  return std::move(*parsed.request);
}

void BookingIntake::Submit(IntakeRequest request, Done done) {
  std::string client_id;
  if (options_.client_keys != nullptr) {
    auto client = options_.client_keys->Authenticate(request.authorization);
    if (!client) return done(Unauthorized());
    client_id = std::move(*client);
  }
  auto validated = Validate(request);
  if (auto* refusal = std::get_if<ApiResponse>(&validated)) {
    done(std::move(*refusal));
    return;
  }
  if (in_flight_.fetch_add(1) >= options_.max_in_flight) {
    in_flight_.fetch_sub(1);
    done(Unavailable("too many requests in flight; retry shortly"));
    return;
  }
  in_flight_gauge_->Set(static_cast<double>(in_flight_.load()));

  auto attempt = std::make_shared<Attempt>();
  attempt->key = ScopedKey(client_id, request.idempotency_key);
  attempt->token = NewUuid();
  attempt->done = std::move(done);
  BookingEvent& event = attempt->event;
  event.request = std::move(std::get<BookingRequest>(validated));
  attempt->shown_id = event.request.booking_id;
  event.request.booking_id = ScopedBookingId(client_id, event.request.booking_id);
  attempt->fingerprint = event.request.Fingerprint();
  // One request, one eventId: a gateway that died after Kafka acknowledged
  // the event but before the idempotency record said so publishes it again
  // when the client retries; the copies share this id, so every consumer
  // (the audit archive, the processor) sees one event delivered twice.
  event.event_id = NameBasedUuid("booking-event\n" + attempt->key + "\n" + attempt->fingerprint);
  event.timestamp = options_.clock->NowIso8601();
  event.metadata = {NewTraceId(), NewSpanId(), "payment-gateway", request.idempotency_key,
                    client_id};
  // Encoded here, on the caller's thread, so that the callbacks stay short.
  attempt->outgoing = {
      options_.requests_topic,
      event.request.property_id,
      EncodeBookingEvent(event),
      {{"traceparent", TraceParent(event.metadata.trace_id, event.metadata.span_id)},
       {"idempotency-key", request.idempotency_key}}};

  const std::string key = attempt->key, fingerprint = attempt->fingerprint, token = attempt->token;
  attempt->claimed_at = options_.clock->SteadyNow();
  idempotency_.ClaimAsync(
      key, fingerprint, token, options_.in_flight_ttl, options_.done_ttl,
      [this, attempt](Result<IdempotencyClaim> claim) { OnClaim(attempt, std::move(claim)); });
}

void BookingIntake::OnClaim(std::shared_ptr<Attempt> attempt, Result<IdempotencyClaim> claim) {
  if (!claim.ok()) {
    // Fail closed: without the idempotency record we cannot promise exactly-once.
    spdlog::warn("idempotency store unavailable: {}", claim.status().ToString());
    return Finish(*attempt, Unavailable("idempotency store unavailable"));
  }
  if (claim->state != IdempotencyClaim::State::kClaimed) {
    if (claim->fingerprint != attempt->fingerprint) {
      return Finish(*attempt,
                    ProblemResponse(422, "Unprocessable Content",
                                    "Idempotency-Key was already used with a different payload"));
    }
    if (claim->state == IdempotencyClaim::State::kInFlight) {
      ApiResponse r = ProblemResponse(409, "Conflict",
                                      "a request with this Idempotency-Key is still in flight");
      r.headers.emplace_back("Retry-After", "1");
      return Finish(*attempt, std::move(r));
    }
    replays_->Increment();
    return Finish(*attempt, Accepted(claim->response, attempt->shown_id, /*replayed=*/true));
  }
  attempt->publish_start = options_.clock->SteadyNow();
  OutgoingEvent outgoing = std::move(attempt->outgoing);
  producer_.PublishAsync(std::move(outgoing), [this, attempt](Status published) {
    OnPublished(attempt, std::move(published));
  });
}

void BookingIntake::OnPublished(std::shared_ptr<Attempt> attempt, Status published) {
  publish_latency_->Observe(
      std::chrono::duration<double>(options_.clock->SteadyNow() - attempt->publish_start).count());
  const BookingEvent& event = attempt->event;
  if (published.code() == StatusCode::kDeadlineExceeded) {
    publish_unknown_->Increment();
    spdlog::warn("publish of booking {} has an unknown outcome: {}", event.request.booking_id,
                 published.ToString());
    // The event may yet land: the claim stays until its in-flight TTL, so a
    // retry meanwhile is told 409, and the mark keeps any later attempt under
    // the key from being told "not recorded".
    idempotency_.MarkUnknownAsync(attempt->key, options_.done_ttl, [this, attempt](Status marked) {
      OnMarkedUnknown(attempt, std::move(marked));
    });
    return;
  }
  if (!published.ok()) {
    publish_failures_->Increment();
    spdlog::warn("publish of booking {} failed: {}", event.request.booking_id,
                 published.ToString());
    // Dropped before the 503, so that the client's retry can claim the key at once.
    idempotency_.DropClaimAsync(attempt->key, attempt->token,
                                [this, attempt](Result<bool> marked_unknown) {
                                  OnClaimDropped(attempt, std::move(marked_unknown));
                                });
    return;
  }
  JsonWriter answer(&attempt->body);
  answer.BeginObject();
  answer.Key("bookingId");
  answer.String(attempt->shown_id);
  answer.Key("eventId");
  answer.String(event.event_id);
  answer.Key("status");
  answer.String("ACCEPTED");
  answer.EndObject();
  // One round trip stores the response to replay and the accepted booking
  // that GET shows until the processor has written it to the ledger.
  const AcceptedBooking accepted{event.request, event.event_id, event.timestamp,
                                 event.metadata.client_id};
  idempotency_.CompleteAsync(
      attempt->key, attempt->token, attempt->body, accepted, options_.done_ttl,
      [this, attempt](Status completed) { OnCompleted(attempt, std::move(completed)); });
}

void BookingIntake::OnClaimDropped(std::shared_ptr<Attempt> attempt, Result<bool> marked_unknown) {
  if (!marked_unknown.ok()) {
    // The claim is left behind (409 until its in-flight TTL), and whether an
    // earlier attempt under the key may have been written is not known.
    spdlog::warn("could not drop the idempotency claim: {}", marked_unknown.status().ToString());
    return Finish(*attempt,
                  OutcomeUnknown("the idempotency store did not answer", ClaimLeft(*attempt)));
  }
  if (*marked_unknown) {
    // This copy was not written, but an earlier one may have been.
    return Finish(*attempt, OutcomeUnknown("an earlier attempt with this key may have been written",
                                           std::chrono::seconds(1)));
  }
  Finish(*attempt, Unavailable("the booking was not recorded; nothing is left of this request: "
                               "retry with the same key or give up"));
}

void BookingIntake::OnMarkedUnknown(std::shared_ptr<Attempt> attempt, Status marked) {
  if (!marked.ok()) {
    // Without the mark, an attempt after the claim lapses could be told 503
    // while this copy is on the topic.
    spdlog::error("could not mark idempotency key {} unknown: {}", attempt->key, marked.ToString());
  }
  Finish(*attempt, OutcomeUnknown("Kafka did not acknowledge the booking", ClaimLeft(*attempt)));
}

std::chrono::seconds BookingIntake::ClaimLeft(const Attempt& attempt) const {
  const auto left = options_.in_flight_ttl - (options_.clock->SteadyNow() - attempt.claimed_at);
  return std::chrono::ceil<std::chrono::seconds>(left);
}

void BookingIntake::OnCompleted(std::shared_ptr<Attempt> attempt, Status completed) {
  const std::string& booking_id = attempt->event.request.booking_id;
  if (!completed.ok()) {
    // The event is durable, so the answer is still 202. A retry after the
    // in-flight TTL may publish again; the processor deduplicates by bookingId.
    // When Redis failed, GET answers 404 until the processor has the booking.
    spdlog::warn("accepted booking {} but could not store its response: {}", booking_id,
                 completed.ToString());
  }
  Finish(*attempt, Accepted(attempt->body, attempt->shown_id, /*replayed=*/false));
}

void BookingIntake::Finish(Attempt& attempt, ApiResponse response) {
  Done done = std::exchange(attempt.done, nullptr);
  WL_CHECK(done != nullptr, "a booking request answered twice");
  const int64_t left = in_flight_.fetch_sub(1) - 1;
  in_flight_gauge_->Set(static_cast<double>(left));
  if (left == 0) {
    // Under the lock, so that a WaitIdle cannot miss it; nothing of the
    // intake is touched after this (its destructor may be waiting).
    MutexLock lock(&idle_mu_);
    idle_cv_.SignalAll();
  }
  done(std::move(response));
}

bool BookingIntake::WaitIdle(std::chrono::milliseconds timeout) {
  MutexLock lock(&idle_mu_);
  return idle_cv_.WaitFor(timeout, [&] { return in_flight_.load() == 0; });
}

}  // namespace wanderluxe
