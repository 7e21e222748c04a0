#include "roles/reconcile/waitlist_sweep.h"

#include <chrono>

namespace wanderluxe {

WaitlistSweep RemoveStaleWaiters(InventoryStore& inventory,
                                 const std::vector<std::pair<std::string, std::string>>& stale) {
  WaitlistSweep sweep;
  for (const auto& [property, booking] : stale) {
    auto state = inventory.CheckWaitlist(property, booking, std::chrono::milliseconds(0));
    if (!state.ok()) {
      sweep.errors.push_back(booking + " on " + property + ": " + state.status().ToString());
      continue;
    }
    if (*state == WaitlistState::kLeft) ++sweep.removed;
    if (*state != WaitlistState::kHeld) continue;
    auto released = inventory.Release(property, booking);
    if (!released.ok()) {
      sweep.errors.push_back(booking + " on " + property + ": " + released.status().ToString());
    } else if (released->released) {
      ++sweep.released;
    }
  }
  return sweep;
}

}  // namespace wanderluxe
