// Port: the atomic inventory of ARCHITECTURE §5. Every mutation is idempotent
// per bookingId, so a redelivered event can never take or give back a room twice.
// Conserved (kConservation): available + held + sold == seeded total.
//
// Thread safety: every call may run concurrently from any number of threads
// and processes (saga workers, the reconciler, the gateway's reads, other
// processors), also for the same property and booking: atomicity lives in
// Redis. RedisInventoryStore holds no state of its own; each mutation is one
// Lua script over the RedisClient's thread-safe connection pool.
#ifndef WANDERLUXE_PORTS_INVENTORY_STORE_H_
#define WANDERLUXE_PORTS_INVENTORY_STORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wanderluxe/status.h"

namespace wanderluxe {

enum class ReserveOutcome {
  kReserved,         // took one unit and holds it for this booking
  kAlreadyHeld,      // this booking held a unit already: nothing changed
  kAlreadySold,      // this booking bought its unit already: nothing changed
  kSoldOut,          // nothing available
  kUnknownProperty,  // no inventory key: the property was never seeded
};

enum class ConfirmOutcome {
  kConfirmed,    // the hold became a sale
  kAlreadySold,  // it was a sale already: nothing changed
};

struct InventoryLevels {
  int64_t available = 0;
  int64_t held = 0;
  int64_t sold = 0;
  std::optional<int64_t> total;  // what `seed` recorded; absent when seeded by hand
};

class InventoryStore {
 public:
  virtual ~InventoryStore() = default;

  virtual Result<ReserveOutcome> Reserve(const std::string& property_id,
                                         const std::string& booking_id) = 0;
  // Reserve for each of `booking_ids` in their order, all in one atomic step
  // (first come, first served): one outcome per id, exactly what Reserve
  // would have answered had they come one after another.
  virtual Result<std::vector<ReserveOutcome>> ReserveBatch(
      const std::string& property_id, const std::vector<std::string>& booking_ids) = 0;
  // True when a hold existed and its unit went back; false when there was none.
  virtual Result<bool> Release(const std::string& property_id, const std::string& booking_id) = 0;
  // kFailedPrecondition when the booking neither holds nor bought a unit.
  virtual Result<ConfirmOutcome> Confirm(const std::string& property_id,
                                         const std::string& booking_id) = 0;
  // kNotFound when the property was never seeded.
  virtual Result<InventoryLevels> Levels(const std::string& property_id) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_INVENTORY_STORE_H_
