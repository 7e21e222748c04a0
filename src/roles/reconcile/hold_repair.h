// `reconcile --fix`'s repair of a hold whose booking finished. The ledger is
// the authority on what was sold: a CONFIRMED booking's hold is a confirm
// Redis lost (a failover to a replica that had not received it), so the unit
// is sold, never given back; giving it back would sell it twice. Any other
// finished booking's hold goes back to the next waiter or to available. A
// confirm that sells the last unit turns the waitlist away, as the saga's
// does: each waiter's driver then finds it gone (kGone) and ends it SOLD_OUT.
//
// Thread safety: a free function; the InventoryStore's own contract applies.
#ifndef WANDERLUXE_ROLES_RECONCILE_HOLD_REPAIR_H_
#define WANDERLUXE_ROLES_RECONCILE_HOLD_REPAIR_H_

#include <cstdint>
#include <string>
#include <vector>

#include "roles/common/leaked_hold.h"
#include "wanderluxe/ports/inventory_store.h"

namespace wanderluxe {

struct HoldRepair {
  int64_t sold = 0;      // CONFIRMED bookings' holds made sold
  int64_t released = 0;  // other finished bookings' holds given back
  std::vector<std::string> errors;
};

HoldRepair RepairLeakedHolds(InventoryStore& inventory, const std::vector<LeakedHold>& leaked);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_RECONCILE_HOLD_REPAIR_H_
