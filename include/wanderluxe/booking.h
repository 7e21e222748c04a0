// The booking domain: what a guest asks for and the states a booking moves
// through (ARCHITECTURE §4.3). Names here are the names on the wire.
#ifndef WANDERLUXE_BOOKING_H_
#define WANDERLUXE_BOOKING_H_

#include <optional>
#include <string>
#include <string_view>

#include "wanderluxe/money.h"

namespace wanderluxe {

// PENDING -> RESERVED -> CONFIRMED; PENDING -> SOLD_OUT; RESERVED -> FAILED_PAYMENT;
// REJECTED (same bookingId, different payload). The last four are terminal.
enum class BookingStatus { kPending, kReserved, kConfirmed, kSoldOut, kFailedPayment, kRejected };

enum class PaymentStatus { kPending, kCaptured, kDeclined, kUnknown, kVoided };

std::string_view BookingStatusName(BookingStatus status);
std::optional<BookingStatus> ParseBookingStatus(std::string_view name);
std::string_view PaymentStatusName(PaymentStatus status);
std::optional<PaymentStatus> ParsePaymentStatus(std::string_view name);

bool IsTerminal(BookingStatus status);
// kStateMachine: the only moves the ledger may make.
bool IsAllowedTransition(BookingStatus from, BookingStatus to);

struct BookingRequest {
  std::string booking_id;
  std::string property_id;
  std::string user_id;    // optional: empty when absent
  Money amount;
  std::string check_in;   // ISO date, or empty when absent
  std::string check_out;

  bool operator==(const BookingRequest&) const = default;

  // The business payload as canonical text: equal for equal requests however
  // their JSON was spelled (key order, "5000" vs "5000.00").
  std::string Fingerprint() const;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_BOOKING_H_
