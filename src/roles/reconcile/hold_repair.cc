#include "roles/reconcile/hold_repair.h"

namespace wanderluxe {

HoldRepair RepairLeakedHolds(InventoryStore& inventory, const std::vector<LeakedHold>& leaked) {
  HoldRepair repair;
  for (const LeakedHold& hold : leaked) {
    const bool sold = hold.status == BookingStatus::kConfirmed;
    Status s = sold ? inventory.Confirm(hold.property, hold.booking).status()
                    : inventory.Release(hold.property, hold.booking).status();
    if (!s.ok()) {
      repair.errors.push_back(hold.booking + " on " + hold.property + ": " + s.ToString());
    } else {
      ++(sold ? repair.sold : repair.released);
    }
  }
  return repair;
}

}  // namespace wanderluxe
