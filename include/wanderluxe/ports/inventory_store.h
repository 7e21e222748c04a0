// Port: the atomic inventory of docs/contract.md "Redis". Every mutation is idempotent
// per bookingId, so a redelivered event can never take or give back a room twice.
// Conserved (kConservation): available + held + sold == seeded total; the
// waitlist holds no unit.
// kNoUnitIdleWhileWaiting: a unit given back while someone waits goes to the
// head of the waitlist, as a hold in that booking's name, in the same atomic
// step: it never passes through `available`.
//
// Thread safety: every call may run concurrently from any number of threads
// and processes (saga workers, the reconciler, the gateway's reads, other
// processors), also for the same property and booking: atomicity lives in
// Redis. RedisInventoryStore holds no state of its own; each mutation is one
// Lua script over the RedisClient's thread-safe connection pool.
#ifndef WANDERLUXE_PORTS_INVENTORY_STORE_H_
#define WANDERLUXE_PORTS_INVENTORY_STORE_H_

#include <chrono>
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
  kWaitlisted,       // every unit is held: joined (or was already on) the waitlist
  kSoldOut,          // nothing available, nothing held, or the waitlist is full
  kUnknownProperty,  // no inventory key: the property was never seeded
};

struct Reservation {
  ReserveOutcome outcome = ReserveOutcome::kSoldOut;
  int64_t waitlist_position = 0;  // kWaitlisted: 1 for the head of the waitlist

  bool operator==(ReserveOutcome o) const { return outcome == o; }
};

// Who may join a property's waitlist: at most min(max, per_unit x total)
// guests wait at once. per_unit 0 turns the waitlist off.
struct WaitlistPolicy {
  int64_t max = 0;
  int64_t per_unit = 0;
};

struct Released {
  bool released = false;  // a hold existed and is gone
  std::string handed_to;  // non-empty: the unit went to this waiting booking
};

enum class ConfirmOutcome {
  kConfirmed,    // the hold became a sale
  kAlreadySold,  // it was a sale already: nothing changed
};

struct Confirmed {
  ConfirmOutcome outcome = ConfirmOutcome::kConfirmed;
  // The last unit is sold: nobody can give one back, so the whole waitlist
  // was turned away (removed) in the same step. Each must end SOLD_OUT.
  std::vector<std::string> turned_away;

  bool operator==(ConfirmOutcome o) const { return outcome == o; }
};

// Where a booking that joined the waitlist stands.
enum class WaitlistState {
  kWaiting,  // still waiting
  kLeft,     // waited its max_wait: removed just now, by this call
  kHeld,     // a released unit was handed to it: it holds one
  kSold,     // it bought its unit already
  kGone,     // neither waiting nor holding: turned away (or never joined)
};

struct InventoryLevels {
  int64_t available = 0;
  int64_t held = 0;
  int64_t sold = 0;
  int64_t waiting = 0;           // bookings on the waitlist
  std::optional<int64_t> total;  // what `seed` recorded; absent when seeded by hand
};

class InventoryStore {
 public:
  virtual ~InventoryStore() = default;

  // Takes a unit for the booking; when every unit is held (none available,
  // some not yet sold) it joins the waitlist instead, if there is room.
  virtual Result<Reservation> Reserve(const std::string& property_id,
                                      const std::string& booking_id) = 0;
  // Reserve for each of `booking_ids` in their order, all in one atomic step
  // (first come, first served): one outcome per id, exactly what Reserve
  // would have answered had they come one after another.
  virtual Result<std::vector<Reservation>> ReserveBatch(
      const std::string& property_id, const std::vector<std::string>& booking_ids) = 0;
  // Gives the booking's hold back: to the head of the waitlist if anyone
  // waits (kNoUnitIdleWhileWaiting), else to `available`. released is false
  // when there was no hold.
  virtual Result<Released> Release(const std::string& property_id,
                                   const std::string& booking_id) = 0;
  // kFailedPrecondition when the booking neither holds nor bought a unit.
  virtual Result<Confirmed> Confirm(const std::string& property_id,
                                    const std::string& booking_id) = 0;
  // Where a waitlisted booking stands; one that has waited `max_wait` or
  // longer leaves the waitlist in this same step (kLeft). Atomic with
  // Release's hand-over: a booking is either handed a unit or leaves, never both.
  virtual Result<WaitlistState> CheckWaitlist(const std::string& property_id,
                                              const std::string& booking_id,
                                              std::chrono::milliseconds max_wait) = 0;
  // kNotFound when the property was never seeded.
  virtual Result<InventoryLevels> Levels(const std::string& property_id) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_INVENTORY_STORE_H_
