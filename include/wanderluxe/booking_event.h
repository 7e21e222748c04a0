// The event on `booking.requests` (docs/contract.md "Request event"): what the gateway
// accepted, as the processor and the audit service read it.
//
// Thread safety: plain values and pure functions (the codec keeps no state);
// any thread.
#ifndef WANDERLUXE_BOOKING_EVENT_H_
#define WANDERLUXE_BOOKING_EVENT_H_

#include <string>
#include <string_view>

#include "wanderluxe/booking.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

constexpr int kBookingEventSchemaVersion = 1;
constexpr std::string_view kBookingInitiated = "BOOKING_INITIATED";

struct EventMetadata {
  std::string trace_id;
  std::string span_id;
  std::string origin = "payment-gateway";
  std::string idempotency_key;
  // The API client that sent the request (ClientKeys); empty when the gateway
  // runs without keys, and then not on the wire.
  std::string client_id;
};

struct BookingEvent {
  std::string event_id;   // a UUID, unique per accepted request
  std::string timestamp;  // RFC 3339 UTC
  BookingRequest request;
  EventMetadata metadata;
};

// JSON with `amount` as an exact decimal in the currency's digits, plus
// `amountMinor` so readers in any language need no decimal parsing.
std::string EncodeBookingEvent(const BookingEvent& event);

// kInvalidArgument says why a message is poison (it can never be processed).
Result<BookingEvent> DecodeBookingEvent(std::string_view json);

}  // namespace wanderluxe

#endif  // WANDERLUXE_BOOKING_EVENT_H_
