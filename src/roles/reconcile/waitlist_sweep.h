// `reconcile --fix`'s repair of a waitlist a crash left behind (issue 15): an
// entry whose booking is terminal, or was never recorded, waits for a unit
// nobody will pay for. Left there, the next release would hand it a hold of
// a finished booking (a leaked hold) instead of to a guest still waiting.
#ifndef WANDERLUXE_ROLES_RECONCILE_WAITLIST_SWEEP_H_
#define WANDERLUXE_ROLES_RECONCILE_WAITLIST_SWEEP_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "wanderluxe/ports/inventory_store.h"

namespace wanderluxe {

struct WaitlistSweep {
  int64_t removed = 0;   // entries taken off their waitlist
  int64_t released = 0;  // handed a unit before they could be removed: given back
  std::vector<std::string> errors;
};

// Takes each (property, booking) off its waitlist, atomically with any
// hand-over (CheckWaitlist with no wait left); a unit handed to it meanwhile
// goes back (to the next waiter, or to available). Only for bookings that
// are finished or unknown: a live one would lose its place.
WaitlistSweep RemoveStaleWaiters(InventoryStore& inventory,
                                 const std::vector<std::pair<std::string, std::string>>& stale);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_RECONCILE_WAITLIST_SWEEP_H_
