// The public JSON of a booking (docs/contract.md "HTTP APIs": GET
// /api/v1/bookings/{id}): what the status view stores and the gateway serves,
// for a ledger record and for a booking accepted but not yet recorded.
//
// Thread safety: pure functions; any thread.
#ifndef WANDERLUXE_BOOKING_VIEW_H_
#define WANDERLUXE_BOOKING_VIEW_H_

#include <string>

#include "wanderluxe/ports/idempotency_store.h"
#include "wanderluxe/ports/ledger.h"
#include "wanderluxe/ports/status_views.h"

namespace wanderluxe {

// The ledger record as the public API shows it.
std::string BookingViewJson(const BookingRecord& record);

// A booking answered 202 that the processor has not recorded yet: shaped like
// the ledger's view, status ACCEPTED at version 0 with an empty audit log.
std::string AcceptedViewJson(const AcceptedBooking& accepted);

// The status view of `record`, as the processor stores it.
StatusView StatusViewOf(const BookingRecord& record);

}  // namespace wanderluxe

#endif  // WANDERLUXE_BOOKING_VIEW_H_
