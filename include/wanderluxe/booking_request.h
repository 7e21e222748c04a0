// Deep validation of a booking request body (docs/contract.md "HTTP APIs"). Every bad
// field is reported, not just the first, so a client can fix all at once.
//
// Thread safety: pure functions over their arguments; any thread.
#ifndef WANDERLUXE_BOOKING_REQUEST_H_
#define WANDERLUXE_BOOKING_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wanderluxe/booking.h"

namespace wanderluxe {

// The field name of an error about the body as a whole (not JSON, not UTF-8).
inline constexpr std::string_view kBodyField = "body";

struct FieldError {
  // What `field` names; a body may have members called "body" or "Idempotency-Key".
  enum class Kind { kMember, kHeader, kBody };

  std::string field;   // a member ("amount"), a header ("Idempotency-Key"), or kBodyField
  std::string detail;  // what is wrong, for a human; always valid UTF-8
  Kind kind = Kind::kMember;
};

struct RequestLimits {
  std::vector<std::string> currencies;  // accepted ISO 4217 codes
  int64_t max_amount_minor = 0;
};

struct ParsedRequest {
  std::optional<BookingRequest> request;  // set exactly when errors is empty
  std::vector<FieldError> errors;
};

ParsedRequest ParseBookingRequest(std::string_view body, const RequestLimits& limits);

// [A-Za-z0-9._:-]{1,64}: booking and property ids (safe in keys, paths and logs).
bool IsValidId(std::string_view id);
inline constexpr size_t kMaxClientIdBytes = 64;
// [A-Za-z0-9._-]{1,kMaxClientIdBytes}: an API client's id (ClientKeys), safe wherever a
// bookingId is, and without ':' or '/', which scope keys and ids to it.
bool IsValidClientId(std::string_view id);
// 1-255 printable ASCII characters.
bool IsValidIdempotencyKey(std::string_view key);
// A real calendar date written YYYY-MM-DD.
bool IsValidIsoDate(std::string_view date);

// kClientScope: with API keys a bookingId is its client's own. Inside the
// system (Kafka, the ledger, Redis, the archive) a booking of client C is
// "C/<bookingId>"; neither a bookingId (IsValidId) nor a client id
// (ClientKeys) holds '/', so two clients' bookings never share an id and one
// client cannot take, or turn REJECTED, an id another chose. The client is
// shown its bookingId as it sent it. Without a client ("" : auth_mode none)
// the id is as sent.
std::string ScopedBookingId(std::string_view client_id, std::string_view booking_id);
// The bookingId `client_id` sent for the booking stored as `scoped_id`.
std::string_view ShownBookingId(std::string_view client_id, std::string_view scoped_id);
// What an event may carry: a valid bookingId, scoped to `client_id` when
// there is one (a valid client id); unscoped ids of a client are read too.
bool IsValidStoredBookingId(std::string_view client_id, std::string_view booking_id);

}  // namespace wanderluxe

#endif  // WANDERLUXE_BOOKING_REQUEST_H_
