// Port: the inventory's per-property listings, for `verify` and
// `reconcile`: who holds or bought a unit, who waits and since when. The
// saga never lists; it reserves and gives back through InventoryStore
// (inventory_store.h), which the same store implements.
//
// Thread safety: every call may run concurrently from any number of threads
// and processes, and with any InventoryStore call. Each listing is one read:
// a reserve or a release racing it may or may not show.
#ifndef WANDERLUXE_PORTS_INVENTORY_AUDIT_H_
#define WANDERLUXE_PORTS_INVENTORY_AUDIT_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "wanderluxe/status.h"

namespace wanderluxe {

class InventoryAudit {
 public:
  virtual ~InventoryAudit() = default;

  // Booking ids holding or having bought a unit (for `verify`).
  virtual Result<std::vector<std::string>> Holders(const std::string& property_id, bool sold) = 0;
  // Booking ids on the waitlist, head first (for `verify` and `reconcile`).
  virtual Result<std::vector<std::string>> Waiters(const std::string& property_id) = 0;
  // The same with each one's arrival (Unix ms; kept strictly increasing, so
  // a waiter that joined in a crowd may read a few ms late), for `reconcile`.
  virtual Result<std::vector<std::pair<std::string, int64_t>>> WaiterArrivals(
      const std::string& property_id) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_INVENTORY_AUDIT_H_
