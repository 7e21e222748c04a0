// The booking domain: what a guest asks for and the states a booking moves
// through (docs/contract.md "The ledger"). Names here are the names on the wire.
//
// Thread safety: plain values and pure functions; any thread.
#ifndef WANDERLUXE_BOOKING_H_
#define WANDERLUXE_BOOKING_H_

#include <optional>
#include <string>
#include <string_view>

#include "wanderluxe/money.h"

namespace wanderluxe {

// kStateMachine: PENDING -> RESERVED -> CONFIRMED; PENDING -> SOLD_OUT;
// RESERVED -> FAILED_PAYMENT; PENDING -> WAITLISTED -> RESERVED or SOLD_OUT
// (every unit was held: the booking waits for one to come back); PENDING,
// WAITLISTED or RESERVED -> PARKED (an error retrying cannot fix, after
// bounded attempts: hold released, event on the DLQ); REJECTED (same
// bookingId, different payload: an outcome, never a ledger state).
// Everything but PENDING, WAITLISTED and RESERVED is terminal.
enum class BookingStatus {
  kPending,
  kReserved,
  kWaitlisted,
  kConfirmed,
  kSoldOut,
  kFailedPayment,
  kRejected,
  kParked,
};

// kPaymentDecisions: while a booking is RESERVED its payment status is the
// owner's decision, recorded in the ledger before the step it leads to:
//   PENDING  -> charging may go on
//   CAPTURED -> confirm the sale (or, if the hold is gone, UNKNOWN: refund)
//   UNKNOWN  -> void by key; never charge again, never confirm
//   DECLINED / VOIDED -> release the hold, then FAILED_PAYMENT
// A decision is never taken back, so a driver that lost its lease and acts
// late can only repeat what the ledger already decided.
enum class PaymentStatus { kNotAttempted, kPending, kCaptured, kDeclined, kUnknown, kVoided };

std::string_view BookingStatusName(BookingStatus status);
std::optional<BookingStatus> ParseBookingStatus(std::string_view name);
std::string_view PaymentStatusName(PaymentStatus status);
std::optional<PaymentStatus> ParsePaymentStatus(std::string_view name);

bool IsTerminal(BookingStatus status);
// kStateMachine: the only moves the ledger may make. A booking may also stay
// in its status (a payment decision, a lease, an auditLog line).
bool IsAllowedTransition(BookingStatus from, BookingStatus to);
// kPaymentDecisions: the only changes of a payment status.
bool IsAllowedPaymentChange(PaymentStatus from, PaymentStatus to);

struct BookingRequest {
  std::string booking_id;
  std::string property_id;
  std::string user_id;  // optional: empty when absent
  Money amount;
  std::string check_in;  // ISO date, or empty when absent
  std::string check_out;

  bool operator==(const BookingRequest&) const = default;

  // The business payload as canonical text: equal for equal requests however
  // their JSON was spelled (key order, "5000" vs "5000.00").
  std::string Fingerprint() const;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_BOOKING_H_
