#include "wanderluxe/booking.h"

#include <array>
#include <utility>

namespace wanderluxe {
namespace {

constexpr std::array<std::pair<BookingStatus, std::string_view>, 8> kBookingNames = {{
    {BookingStatus::kPending, "PENDING"},
    {BookingStatus::kReserved, "RESERVED"},
    {BookingStatus::kWaitlisted, "WAITLISTED"},
    {BookingStatus::kConfirmed, "CONFIRMED"},
    {BookingStatus::kSoldOut, "SOLD_OUT"},
    {BookingStatus::kFailedPayment, "FAILED_PAYMENT"},
    {BookingStatus::kRejected, "REJECTED"},
    {BookingStatus::kParked, "PARKED"},
}};

constexpr std::array<std::pair<PaymentStatus, std::string_view>, 6> kPaymentNames = {{
    {PaymentStatus::kNotAttempted, "NOT_ATTEMPTED"},
    {PaymentStatus::kPending, "PENDING"},
    {PaymentStatus::kCaptured, "CAPTURED"},
    {PaymentStatus::kDeclined, "DECLINED"},
    {PaymentStatus::kUnknown, "UNKNOWN"},
    {PaymentStatus::kVoided, "VOIDED"},
}};

template <typename Enum, size_t N>
std::string_view NameOf(const std::array<std::pair<Enum, std::string_view>, N>& table, Enum e) {
  for (const auto& [value, name] : table) {
    if (value == e) return name;
  }
  return "UNKNOWN";
}

template <typename Enum, size_t N>
std::optional<Enum> Lookup(const std::array<std::pair<Enum, std::string_view>, N>& table,
                           std::string_view name) {
  for (const auto& [value, n] : table) {
    if (n == name) return value;
  }
  return std::nullopt;
}

}  // namespace

std::string_view BookingStatusName(BookingStatus status) { return NameOf(kBookingNames, status); }
std::optional<BookingStatus> ParseBookingStatus(std::string_view name) {
  return Lookup(kBookingNames, name);
}
std::string_view PaymentStatusName(PaymentStatus status) { return NameOf(kPaymentNames, status); }
std::optional<PaymentStatus> ParsePaymentStatus(std::string_view name) {
  return Lookup(kPaymentNames, name);
}

bool IsTerminal(BookingStatus status) {
  return status != BookingStatus::kPending && status != BookingStatus::kReserved &&
         status != BookingStatus::kWaitlisted;
}

bool IsAllowedTransition(BookingStatus from, BookingStatus to) {
  if (from == to) return true;  // a decision, a lease or an auditLog line; not a move
  switch (from) {
    case BookingStatus::kPending:
      return to == BookingStatus::kReserved || to == BookingStatus::kSoldOut ||
             to == BookingStatus::kWaitlisted || to == BookingStatus::kParked;
    case BookingStatus::kWaitlisted:
      return to == BookingStatus::kReserved || to == BookingStatus::kSoldOut ||
             to == BookingStatus::kParked;
    case BookingStatus::kReserved:
      return to == BookingStatus::kConfirmed || to == BookingStatus::kFailedPayment ||
             to == BookingStatus::kParked;
    default:
      return false;  // terminal states never move
  }
}

bool IsAllowedPaymentChange(PaymentStatus from, PaymentStatus to) {
  if (from == to) return true;
  switch (from) {
    case PaymentStatus::kNotAttempted:
      return to == PaymentStatus::kPending;
    case PaymentStatus::kPending:
      return to == PaymentStatus::kCaptured || to == PaymentStatus::kDeclined ||
             to == PaymentStatus::kUnknown || to == PaymentStatus::kNotAttempted;
    case PaymentStatus::kCaptured:
      return to == PaymentStatus::kUnknown;  // captured without a hold: refund
    case PaymentStatus::kUnknown:
      // CAPTURED: the bank refused the void, the charge settled and stands.
      return to == PaymentStatus::kVoided || to == PaymentStatus::kDeclined ||
             to == PaymentStatus::kCaptured;
    default:
      return false;  // DECLINED and VOIDED are final
  }
}

std::string BookingRequest::Fingerprint() const {
  // Fields are separated by a byte that validation forbids inside any of them.
  std::string out;
  for (const std::string* field :
       {&booking_id, &property_id, &user_id, &amount.currency, &check_in, &check_out}) {
    out += *field;
    out += '\x1f';
  }
  return out + std::to_string(amount.minor_units);
}

}  // namespace wanderluxe
