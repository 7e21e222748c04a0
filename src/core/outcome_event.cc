#include "wanderluxe/outcome_event.h"

#include <nlohmann/json.hpp>

namespace wanderluxe {

std::string EncodeOutcomeEvent(const OutcomeEvent& e) {
  nlohmann::json doc = {{"eventId", e.event_id},
                        {"eventType", "BOOKING_OUTCOME"},
                        {"schemaVersion", 1},
                        {"timestamp", e.timestamp},
                        {"payload",
                         {{"bookingId", e.booking_id},
                          {"propertyId", e.property_id},
                          {"status", BookingStatusName(e.status)},
                          {"transactionId", e.transaction_id},
                          {"reason", e.reason}}},
                        {"metadata", {{"traceId", e.trace_id}, {"origin", "booking-processor"}}}};
  if (e.status == BookingStatus::kWaitlisted) {
    doc["payload"]["waitlistPosition"] = e.waitlist_position;
  }
  return doc.dump();
}

}  // namespace wanderluxe
