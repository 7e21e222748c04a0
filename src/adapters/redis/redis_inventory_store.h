// InventoryStore over Redis (docs/contract.md "Redis"): `inventory:<p>` (available, a
// plain integer: `redis-cli set inventory:<p> 5` works), `holds:<p>` and
// `sold:<p>` (hashes bookingId -> time), `total:<p>` (what `seed` set),
// `waitlist:<p>` (sorted set bookingId -> arrival, Unix ms). Every change is
// one Lua script, atomic and idempotent per bookingId.
//
// On a Redis Cluster (redis.mode cluster) <p> is the hash tag `{<p>}`
// (RedisConfig::property_tag), so the five keys of one property share one
// slot, each script's keys are all of that slot, and properties spread over
// the masters by their ids. Every call names its keys, so RedisCommands
// routes it to the property's master.
//
// Thread safety: the store holds no state of its own; every call may run
// concurrently with every other, from any thread, each one blocking call of
// RedisCommands (Seed two).
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_INVENTORY_STORE_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_INVENTORY_STORE_H_

#include <string>
#include <utility>
#include <vector>

#include "adapters/redis/redis_commands.h"
#include "wanderluxe/ports/inventory_audit.h"
#include "wanderluxe/ports/inventory_store.h"

namespace wanderluxe {

struct InventoryKeys {
  std::string available, holds, sold, total, waitlist;
};

// `tag_pattern` is RedisConfig::property_tag: "%s" or "{%s}" (cluster hash tag).
InventoryKeys KeysFor(const std::string& tag_pattern, const std::string& property_id);

struct SeedResult {
  bool applied = false;  // false: refused, units below held + sold
  InventoryLevels levels;
  // Waiting bookings the new units were handed to, in waitlist order.
  std::vector<std::string> handed_to;
};

class RedisInventoryStore final : public InventoryStore, public InventoryAudit {
 public:
  // `waitlist`: who may wait for a held unit; the default turns it off
  // (for roles that never reserve).
  explicit RedisInventoryStore(RedisCommands& redis, WaitlistPolicy waitlist = {})
      : redis_(redis), waitlist_(waitlist) {}

  Result<Reservation> Reserve(const std::string& property_id,
                              const std::string& booking_id) override;
  Result<std::vector<Reservation>> ReserveBatch(
      const std::string& property_id, const std::vector<std::string>& booking_ids) override;
  Result<Released> Release(const std::string& property_id, const std::string& booking_id) override;
  Result<Confirmed> Confirm(const std::string& property_id, const std::string& booking_id) override;
  Result<WaitlistState> CheckWaitlist(const std::string& property_id, const std::string& booking_id,
                                      std::chrono::milliseconds max_wait) override;
  Result<InventoryLevels> Levels(const std::string& property_id) override;

  // Makes `units` the property's total: available = units - held - sold.
  // Refuses when units < held + sold unless `force` (then available is 0).
  Result<SeedResult> Seed(const std::string& property_id, int64_t units, bool force);
  Result<std::vector<std::string>> Holders(const std::string& property_id, bool sold) override;
  Result<std::vector<std::string>> Waiters(const std::string& property_id) override;
  Result<std::vector<std::pair<std::string, int64_t>>> WaiterArrivals(
      const std::string& property_id) override;

 private:
  InventoryKeys Keys(const std::string& property_id) const {
    return KeysFor(redis_.config().property_tag, property_id);
  }

  // One reserve script's answer as an outcome.
  Result<Reservation> ParseReserveAnswer(const std::string& property_id,
                                         const std::string& answer) const;

  RedisCommands& redis_;
  const WaitlistPolicy waitlist_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_INVENTORY_STORE_H_
