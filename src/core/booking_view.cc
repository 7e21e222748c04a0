#include "wanderluxe/booking_view.h"

#include <nlohmann/json.hpp>

#include "wanderluxe/booking_request.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

// What every view of a booking shows: ids, status, the payment, user and dates.
// `client_id` sees the bookingId it sent (kClientScope).
json BaseView(const BookingRequest& b, const std::string& client_id, std::string_view status,
              std::string_view payment_status) {
  const Money& m = b.amount;
  json view = {{"bookingId", ShownBookingId(client_id, b.booking_id)},
               {"propertyId", b.property_id},
               {"status", status},
               {"payment",
                {{"amount", FormatDecimalAmount(m.minor_units, CurrencyMinorDigits(m.currency))},
                 {"amountMinor", m.minor_units},
                 {"currency", m.currency},
                 {"status", payment_status}}}};
  if (!b.user_id.empty()) view["userId"] = b.user_id;
  if (!b.check_in.empty()) view["dates"] = {{"checkIn", b.check_in}, {"checkOut", b.check_out}};
  return view;
}

}  // namespace

std::string BookingViewJson(const BookingRecord& r) {
  json log = json::array();
  for (const auto& e : r.audit_log) {
    log.push_back({{"action", e.action}, {"timestamp", e.timestamp}, {"detail", e.detail}});
  }
  json view = BaseView(r.request, r.client_id, BookingStatusName(r.status),
                       PaymentStatusName(r.payment_status));
  view["payment"]["transactionId"] = r.transaction_id;
  view["auditLog"] = log;
  view["createdAt"] = r.created_at;
  view["updatedAt"] = r.updated_at;
  view["version"] = r.version;
  if (r.waitlist_position > 0) view["waitlistPosition"] = r.waitlist_position;
  return view.dump();
}

std::string AcceptedViewJson(const AcceptedBooking& a) {
  json view =
      BaseView(a.request, a.client_id, "ACCEPTED", PaymentStatusName(PaymentStatus::kPending));
  view["payment"]["transactionId"] = "";
  view["eventId"] = a.event_id;
  view["auditLog"] = json::array();
  view["createdAt"] = a.accepted_at;
  view["updatedAt"] = a.accepted_at;
  view["version"] = 0;
  return view.dump();
}

StatusView StatusViewOf(const BookingRecord& record) {
  return {record.request.booking_id, record.version, record.client_id, IsTerminal(record.status),
          BookingViewJson(record)};
}

}  // namespace wanderluxe
