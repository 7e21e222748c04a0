// An InvariantChecker over a Redis and a Mongo store, wired as `verify`
// wires it: the inventory and the ledger adapters it reads through their
// ports, owned here.
//
// Thread safety: as InvariantChecker's (one thread at a time).
#ifndef WANDERLUXE_TESTS_SUPPORT_LIVE_INVARIANT_CHECKER_H_
#define WANDERLUXE_TESTS_SUPPORT_LIVE_INVARIANT_CHECKER_H_

#include "adapters/mongo/mongo_ledger.h"
#include "adapters/redis/redis_inventory_store.h"
#include "roles/common/invariants.h"

namespace wanderluxe::testing {

struct CheckedStores {
  CheckedStores(RedisCommands& redis, MongoStore& mongo) : inventory(redis), ledger(mongo) {}
  RedisInventoryStore inventory;
  MongoLedger ledger;
};

// CheckedStores comes first, so the stores exist before the checker.
class LiveInvariantChecker : private CheckedStores, public InvariantChecker {
 public:
  LiveInvariantChecker(const Config& config, RedisCommands& redis, MongoStore& mongo)
      : CheckedStores(redis, mongo),
        InvariantChecker(config, redis, mongo, inventory, inventory, ledger, ledger) {}
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_LIVE_INVARIANT_CHECKER_H_
