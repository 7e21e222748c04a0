// The event on `booking.outcomes`: a booking reached a terminal state, or
// joined a waitlist (WAITLISTED, with its place; its terminal outcome follows).
//
// Thread safety: plain values and pure functions; any thread.
#ifndef WANDERLUXE_OUTCOME_EVENT_H_
#define WANDERLUXE_OUTCOME_EVENT_H_

#include <cstdint>
#include <string>

#include "wanderluxe/booking.h"

namespace wanderluxe {

struct OutcomeEvent {
  std::string event_id;
  std::string timestamp;
  std::string booking_id;
  std::string property_id;
  BookingStatus status = BookingStatus::kConfirmed;
  std::string transaction_id;  // CONFIRMED only
  std::string reason;          // why, for a human
  std::string trace_id;
  int64_t waitlist_position = 0;  // WAITLISTED only: 1 = head of the waitlist
};

std::string EncodeOutcomeEvent(const OutcomeEvent& event);

}  // namespace wanderluxe

#endif  // WANDERLUXE_OUTCOME_EVENT_H_
