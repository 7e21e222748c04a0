// The Redis keys of the stores, by redis.mode: one server keeps the names it
// always had; a cluster hash-tags them, so that the keys of one property, and
// of one Idempotency-Key, share a slot.
#include <doctest/doctest.h>

#include <set>
#include <string>
#include <vector>

#include "adapters/redis/redis_cluster_slot.h"
#include "adapters/redis/redis_idempotency_store.h"
#include "adapters/redis/redis_inventory_store.h"

namespace wanderluxe {
namespace {

RedisConfig Standalone() { return RedisConfig(); }

RedisConfig Cluster() {
  RedisConfig config;
  config.mode = "cluster";
  config.property_tag = "{%s}";
  return config;
}

TEST_SUITE("unit.redis_store_keys") {
  TEST_CASE("one server: the names as redis-cli has always read them") {
    const RedisConfig config = Standalone();
    CHECK(RedisIdempotencyStore::RedisKey(config, "c:k") == "idem:c:k");
    CHECK(RedisIdempotencyStore::UnknownKey(config, "c:k") == "idem-unknown:c:k");
    CHECK(RedisIdempotencyStore::AcceptedKey(config, "b1") == "accepted:b1");
    CHECK(KeysFor(config.property_tag, "p1").available == "inventory:p1");
    CHECK(KeysFor(config.property_tag, "p1").waitlist == "waitlist:p1");
  }

  TEST_CASE("a cluster: one Idempotency-Key's keys in one slot, whatever its first character") {
    const RedisConfig config = Cluster();
    CHECK(RedisIdempotencyStore::RedisKey(config, "c:k") == "idem:{c:k}");
    CHECK(RedisIdempotencyStore::UnknownKey(config, "c:k") == "idem-unknown:{c:k}");
    CHECK(RedisIdempotencyStore::AcceptedKey(config, "b1") == "accepted:{b1}");
    const std::vector<std::string> keys = {"k", "}k", "\\}k", "\\k", "}", "{k}", "k}x", "a{b"};
    std::set<std::string> names;
    for (const std::string& key : keys) {
      CAPTURE(key);
      const std::string idem = RedisIdempotencyStore::RedisKey(config, key);
      CHECK(RedisKeySlot(idem) == RedisKeySlot(RedisIdempotencyStore::UnknownKey(config, key)));
      names.insert(idem);
    }
    CHECK(names.size() == keys.size());  // the escaping names every key apart
  }

  TEST_CASE("a cluster: one property's five keys in one slot, properties apart") {
    const RedisConfig config = Cluster();
    const InventoryKeys a = KeysFor(config.property_tag, "prop-a");
    const int slot = RedisKeySlot(a.available);
    for (const std::string& key : {a.holds, a.sold, a.total, a.waitlist}) {
      CHECK(RedisKeySlot(key) == slot);
    }
    CHECK(RedisKeySlot(KeysFor(config.property_tag, "prop-b").available) != slot);
  }
}

}  // namespace
}  // namespace wanderluxe
