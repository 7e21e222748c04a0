// The stores on a Redis Cluster the test starts itself (redis.mode cluster,
// redis.property_tag "{%s}"): RedisInventoryStore and RedisIdempotencyStore
// over RedisClusterClient and RedisWorkers, properties and idempotency keys
// spread over three masters, and a master failed over mid-sequence.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "adapters/redis/redis_cluster.h"
#include "adapters/redis/redis_connect.h"
#include "adapters/redis/redis_idempotency_store.h"
#include "adapters/redis/redis_inventory_store.h"
#include "support/child_process.h"
#include "support/redis_cluster_fixture.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::RedisClusterFixture;

constexpr milliseconds kTtl{60'000};
// An asynchronous call is answered within twice redis.command_timeout_ms
// (RedisWorkers); this leaves room for a loaded machine.
constexpr seconds kAnswerBound{10};
// A manual failover (CLUSTER FAILOVER) and the gossip after it.
constexpr seconds kFailoverBound{30};

RedisConfig ClusterConfig(const RedisClusterFixture& cluster) {
  RedisConfig config = cluster.Config();
  config.mode = "cluster";
  config.property_tag = "{%s}";
  return config;
}

// ClusterConfig whose writes that must survive a failover wait for a replica.
RedisConfig ReplicatedClusterConfig(const RedisClusterFixture& cluster) {
  RedisConfig config = ClusterConfig(cluster);
  config.replica_acks = 1;
  config.replica_ack_timeout_ms = 300;
  return config;
}

std::unique_ptr<RedisClusterClient> ConnectOrFail(const RedisConfig& config) {
  auto client = RedisClusterClient::Connect(config);
  REQUIRE_MESSAGE(client.ok(), "the test's Redis Cluster at ", config.host, ":", config.port, ": ",
                  client.status().ToString());
  return std::move(*client);
}

int PortOf(RedisClusterClient& client, const std::string& key) {
  auto master = client.MasterOf(RedisKeySlot(key));
  REQUIRE_MESSAGE(master.ok(), master.status().ToString());
  return static_cast<int>(master->port);
}

// A property id (with prefix `prefix`) whose keys master `port` serves.
std::string PropertyOn(RedisClusterClient& client, int port, const std::string& prefix) {
  for (int i = 0;; ++i) {
    const std::string id = prefix + std::to_string(i);
    if (PortOf(client, KeysFor(client.config().property_tag, id).available) == port) return id;
  }
}

// Every key of `keys` is on the master on `port`, asked there directly (a
// key of another slot's master would be answered MOVED, an error).
void RequireAllOn(RedisClusterFixture& cluster, int port, const std::vector<std::string>& keys) {
  for (const std::string& key : keys) {
    auto exists = cluster.On(port, {"EXISTS", key});
    REQUIRE_MESSAGE(exists.ok(), key, " on port ", port, ": ", exists.status().ToString());
    CHECK_MESSAGE(exists->integer == 1, key, " is not on the master on port ", port);
  }
}

// The replica on `port` says it is a master within kFailoverBound.
void RequirePromoted(RedisClusterFixture& cluster, int port) {
  const bool promoted = testing::WaitUntil(
      [&] {
        auto role = cluster.On(port, {"ROLE"});
        return role.ok() && !role->elements.empty() && role->elements[0].text == "master";
      },
      kFailoverBound);
  REQUIRE_MESSAGE(promoted, "the replica on port ", port, " did not take over");
}

// What an asynchronous call of a store hands its `done`, within kAnswerBound.
template <typename T>
T Await(const std::function<void(std::function<void(T)>)>& call) {
  auto answered = std::make_shared<std::promise<T>>();
  std::future<T> answer = answered->get_future();
  call([answered](T value) { answered->set_value(std::move(value)); });
  REQUIRE_MESSAGE(answer.wait_for(kAnswerBound) == std::future_status::ready, "no answer within ",
                  kAnswerBound.count(), " s");
  return answer.get();
}

AcceptedBooking AcceptedFor(const std::string& booking_id) {
  AcceptedBooking accepted;
  accepted.request = {booking_id, "p", "u", {100, "USD"}, "", ""};
  accepted.event_id = "event-" + booking_id;
  accepted.accepted_at = "2026-11-26T00:00:00.000Z";
  accepted.client_id = "client";
  return accepted;
}

// The stores of one engine on the cluster, built as the roles build them.
struct ClusterStores {
  explicit ClusterStores(const RedisConfig& config)
      : client(ConnectOrFail(config)),
        async(CreateRedisAsync(*client)),
        inventory(*client, WaitlistPolicy{/*max=*/10, /*per_unit=*/5}),
        idempotency(*client, *async) {}

  Result<IdempotencyClaim> ClaimAsync(const std::string& key, const std::string& token) {
    return Await<Result<IdempotencyClaim>>([&](auto done) {
      idempotency.ClaimAsync(key, "fingerprint-" + key, token, kTtl, kTtl, std::move(done));
    });
  }
  Status Complete(const std::string& key, const std::string& token, const std::string& booking_id) {
    return Await<Status>([&](auto done) {
      idempotency.CompleteAsync(key, token, "response-" + key, AcceptedFor(booking_id), kTtl,
                                std::move(done));
    });
  }
  Result<bool> DropClaim(const std::string& key, const std::string& token) {
    return Await<Result<bool>>(
        [&](auto done) { idempotency.DropClaimAsync(key, token, std::move(done)); });
  }
  Status MarkUnknown(const std::string& key) {
    return Await<Status>(
        [&](auto done) { idempotency.MarkUnknownAsync(key, kTtl, std::move(done)); });
  }

  std::unique_ptr<RedisClusterClient> client;
  std::unique_ptr<RedisAsyncCommands> async;
  RedisInventoryStore inventory;
  RedisIdempotencyStore idempotency;
};

// Seed 2 units, two holds and one waiter: the start of every sale below.
void OpenSale(RedisInventoryStore& inventory, const std::string& property) {
  auto seeded = inventory.Seed(property, 2, /*force=*/false);
  REQUIRE_MESSAGE(seeded.ok(), seeded.status().ToString());
  CHECK(seeded->applied);
  CHECK(seeded->levels.available == 2);
  CHECK(inventory.Reserve(property, "b1")->outcome == ReserveOutcome::kReserved);
  auto batch = inventory.ReserveBatch(property, {"b2", "b3"});
  REQUIRE_MESSAGE(batch.ok(), batch.status().ToString());
  CHECK((*batch)[0].outcome == ReserveOutcome::kReserved);
  CHECK((*batch)[1].outcome == ReserveOutcome::kWaitlisted);
  CHECK((*batch)[1].waitlist_position == 1);
}

// Confirm b1, release b2 (its unit goes to b3), confirm b3: sold out.
void CloseSale(RedisInventoryStore& inventory, const std::string& property) {
  auto confirmed = inventory.Confirm(property, "b1");
  REQUIRE_MESSAGE(confirmed.ok(), confirmed.status().ToString());
  CHECK(confirmed->outcome == ConfirmOutcome::kConfirmed);
  auto released = inventory.Release(property, "b2");
  REQUIRE_MESSAGE(released.ok(), released.status().ToString());
  CHECK(released->released);
  CHECK(released->handed_to == "b3");
  CHECK(inventory.CheckWaitlist(property, "b3", seconds(60)).value() == WaitlistState::kHeld);
  CHECK(inventory.Confirm(property, "b3")->outcome == ConfirmOutcome::kConfirmed);
  CHECK(inventory.Reserve(property, "b4")->outcome == ReserveOutcome::kSoldOut);
  auto levels = inventory.Levels(property);
  REQUIRE_MESSAGE(levels.ok(), levels.status().ToString());
  CHECK(levels->sold == 2);
  CHECK(levels->held == 0);
  CHECK(levels->available == 0);
  CHECK(levels->total == 2);
  CHECK(levels->waiting == 0);
  auto sold = inventory.Holders(property, /*sold=*/true);
  REQUIRE(sold.ok());
  CHECK(std::set<std::string>(sold->begin(), sold->end()) == std::set<std::string>{"b1", "b3"});
}

TEST_SUITE("integration.redis_cluster_stores") {
  TEST_CASE(
      "ConnectRedis builds the cluster client for redis.mode cluster; it pings every master") {
    RedisClusterFixture cluster(3, 0);
    auto redis = ConnectRedis(ClusterConfig(cluster));
    REQUIRE_MESSAGE(redis.ok(), redis.status().ToString());
    CHECK(dynamic_cast<RedisClusterClient*>(redis->get()) != nullptr);
    CHECK((*redis)->Ping().ok());
    // A lazily built one reads the map on its first call.
    std::unique_ptr<RedisCommands> lazy = CreateRedis(ClusterConfig(cluster));
    REQUIRE((*redis)->Command({"SET", "{lazy}:k", "v"}).ok());
    CHECK(lazy->Command({"GET", "{lazy}:k"})->text == "v");
    // The mode, not the server, decides: a cluster node answers one server's PING too.
    RedisConfig standalone = cluster.Config();
    auto single = ConnectRedis(standalone);
    REQUIRE(single.ok());
    CHECK(dynamic_cast<RedisClusterClient*>(single->get()) == nullptr);
  }

  TEST_CASE("inventory: properties on three masters, each sale's keys on its property's master") {
    RedisClusterFixture cluster(3, 0);
    ClusterStores stores(ClusterConfig(cluster));
    const std::string tag = stores.client->config().property_tag;
    std::set<int> masters;
    std::vector<std::string> properties;
    for (const int port : cluster.master_ports()) {
      const std::string property = PropertyOn(*stores.client, port, "prop-");
      properties.push_back(property);
      masters.insert(port);
      OpenSale(stores.inventory, property);
      const InventoryKeys k = KeysFor(tag, property);
      REQUIRE(RedisKeySlot(k.available) == RedisKeySlot(k.waitlist));
      RequireAllOn(cluster, port, {k.available, k.holds, k.total, k.waitlist});
      // The waitlist as reconcile reads it.
      CHECK(stores.inventory.Waiters(property).value() == std::vector<std::string>{"b3"});
      auto arrivals = stores.inventory.WaiterArrivals(property);
      REQUIRE(arrivals.ok());
      REQUIRE(arrivals->size() == 1);
      CHECK(arrivals->front().first == "b3");
      CloseSale(stores.inventory, property);
      RequireAllOn(cluster, port, {k.sold});
      // More units after the sale: the seed runs on the property's master too.
      auto more = stores.inventory.Seed(property, 3, /*force=*/false);
      REQUIRE_MESSAGE(more.ok(), more.status().ToString());
      CHECK(more->levels.available == 1);
      CHECK(stores.inventory.Reserve(property, "b5")->outcome == ReserveOutcome::kReserved);
    }
    CHECK(masters.size() == 3);
    // The keys really landed apart: each master holds one property's keys only.
    for (size_t i = 0; i < properties.size(); ++i) {
      for (size_t j = 0; j < properties.size(); ++j) {
        auto exists = cluster.On(cluster.master_port(static_cast<int>(i)),
                                 {"EXISTS", KeysFor(tag, properties[j]).available});
        CHECK_MESSAGE(exists.ok() == (i == j), properties[j], " asked of master ", i, ": ",
                      exists.ok() ? "found" : exists.status().ToString());
      }
    }
    // Discovery (verify, reconcile) scans every master.
    auto keys = stores.client->ScanKeys("inventory:*");
    REQUIRE_MESSAGE(keys.ok(), keys.status().ToString());
    std::set<std::string> found(keys->begin(), keys->end());
    for (const std::string& property : properties) {
      CHECK(found.count(KeysFor(tag, property).available) == 1);
    }
    CHECK(found.size() == properties.size());
  }

  TEST_CASE("idempotency: claim, complete, drop and find, each request's keys in one slot") {
    RedisClusterFixture cluster(3, 0);
    ClusterStores stores(ClusterConfig(cluster));
    const RedisConfig& config = stores.client->config();
    std::set<int> masters;
    // Keys of many requests, one starting with '}' (its tag is escaped).
    std::vector<std::string> keys = {"}brace-first", "\\backslash-first"};
    for (int k = 0; k < 12; ++k) keys.push_back("client:key-" + std::to_string(k));
    for (size_t i = 0; i < keys.size(); ++i) {
      const std::string& key = keys[i];
      CAPTURE(key);
      const std::string idem = RedisIdempotencyStore::RedisKey(config, key);
      REQUIRE(RedisKeySlot(idem) == RedisKeySlot(RedisIdempotencyStore::UnknownKey(config, key)));
      masters.insert(PortOf(*stores.client, idem));
      const std::string booking = "booking-" + std::to_string(i);

      auto claimed = stores.ClaimAsync(key, "token-1");
      REQUIRE_MESSAGE(claimed.ok(), claimed.status().ToString());
      CHECK(claimed->state == IdempotencyClaim::State::kClaimed);
      RequireAllOn(cluster, PortOf(*stores.client, idem), {idem});
      auto busy = stores.ClaimAsync(key, "token-2");
      REQUIRE(busy.ok());
      CHECK(busy->state == IdempotencyClaim::State::kInFlight);
      CHECK(busy->fingerprint == "fingerprint-" + key);

      // Not ours: refused, but the accepted record is written all the same.
      CHECK(stores.Complete(key, "token-2", booking).code() == StatusCode::kFailedPrecondition);
      CHECK(stores.Complete(key, "token-1", booking).ok());
      auto done = stores.ClaimAsync(key, "token-3");
      REQUIRE(done.ok());
      CHECK(done->state == IdempotencyClaim::State::kDone);
      CHECK(done->response == "response-" + key);
      auto found = stores.idempotency.FindAccepted(booking);
      REQUIRE_MESSAGE(found.ok(), found.status().ToString());
      REQUIRE(found->has_value());
      CHECK(**found == AcceptedFor(booking));
    }
    CHECK(masters.size() == 3);
    CHECK(stores.idempotency.FindAccepted("never-accepted").value() == std::nullopt);

    // DropClaim: only the claimant's, and it tells whether the key is marked
    // unknown. A drop by anyone but the key's only attempt hears "marked":
    // that attempt's publish may have been written.
    const std::string dropped = "}released";
    REQUIRE(stores.ClaimAsync(dropped, "mine").ok());
    CHECK(stores.DropClaim(dropped, "not-mine").value() == true);
    CHECK(stores.ClaimAsync(dropped, "other")->state == IdempotencyClaim::State::kInFlight);
    CHECK(stores.DropClaim(dropped, "mine").value() == false);
    CHECK(stores.ClaimAsync(dropped, "again")->state == IdempotencyClaim::State::kClaimed);
    REQUIRE(stores.MarkUnknown(dropped).ok());
    CHECK(stores.DropClaim(dropped, "again").value() == true);
    const std::string unknown = RedisIdempotencyStore::UnknownKey(config, dropped);
    RequireAllOn(cluster, PortOf(*stores.client, unknown), {unknown});
  }

  // Replication is asynchronous: a master can acknowledge a reserve and die
  // before its replica has it. With redis.replica_acks the reserve is
  // answered only once a replica holds it; a saga never charges for a hold
  // the promoted replica would not have.
  TEST_CASE("a hold no replica acknowledged is refused, so a failover cannot undo a sale") {
    RedisClusterFixture cluster(3, 3, /*node_timeout_ms=*/1000);
    ClusterStores stores(ReplicatedClusterConfig(cluster));
    const int master = cluster.master_port(1);
    const int heir = cluster.replica_port(1);
    const std::string property = PropertyOn(*stores.client, master, "acked-");
    REQUIRE(stores.inventory.Seed(property, 1, /*force=*/false).ok());
    CHECK(stores.inventory.Reserve(property, "b-acked")->outcome == ReserveOutcome::kReserved);
    CHECK(stores.inventory.Release(property, "b-acked")->released);

    // The replica stalls: the master alone has what is written now.
    cluster.Signal(heir, SIGSTOP);
    auto unacked = stores.inventory.Reserve(property, "b-1");
    CHECK_MESSAGE(unacked.status().code() == StatusCode::kUnavailable,
                  "a reserve only the master holds was answered ", unacked.status().ToString());
    // The master dies; the replica, continued, takes its slots over, with
    // b-1's hold or without it (a stopped process still had the stream
    // buffered by its kernel; a partition would lose it).
    cluster.Kill(master);
    cluster.Signal(heir, SIGCONT);
    RequirePromoted(cluster, heir);
    // b-1's driver retries (the script is idempotent) and holds the unit on
    // the new master, once replicated; the unit is held once.
    Result<Reservation> retried = Status::Unavailable("not tried");
    CHECK(testing::WaitUntil(
        [&] {
          retried = stores.inventory.Reserve(property, "b-1");
          return retried.ok();
        },
        kFailoverBound));
    REQUIRE_MESSAGE(retried.ok(), retried.status().ToString());
    CHECK((retried->outcome == ReserveOutcome::kReserved ||
           retried->outcome == ReserveOutcome::kAlreadyHeld));
    CHECK(stores.inventory.Reserve(property, "b-2")->outcome != ReserveOutcome::kReserved);
    auto levels = stores.inventory.Levels(property);
    REQUIRE(levels.ok());
    CHECK(levels->held == 1);
    CHECK(levels->available == 0);
  }

  // The claim's mark is what tells a later attempt under the key that an
  // earlier publish may have been written (a 503 must mean "not recorded"):
  // a failover must not forget it. Found by the nemesis (seed 4): a master
  // cut off, its replica promoted without the marks of some keys, whose
  // retries then answered 503 while an earlier copy was on the topic.
  TEST_CASE("a claim whose mark no replica acknowledged is refused") {
    RedisClusterFixture cluster(3, 3, /*node_timeout_ms=*/1000);
    ClusterStores stores(ReplicatedClusterConfig(cluster));
    const int master = cluster.master_port(1);
    const int heir = cluster.replica_port(1);
    const std::string acked = PropertyOn(*stores.client, master, "idem-acked-");
    const auto claimed = stores.ClaimAsync(acked, "first");
    REQUIRE_MESSAGE(claimed.ok(), claimed.status().ToString());
    CHECK(claimed->state == IdempotencyClaim::State::kClaimed);

    cluster.Signal(heir, SIGSTOP);
    const std::string unacked = PropertyOn(*stores.client, master, "idem-unacked-");
    const auto refused = stores.ClaimAsync(unacked, "second");
    CHECK_MESSAGE(refused.status().code() == StatusCode::kUnavailable,
                  "a claim whose mark only the master holds was answered ",
                  refused.ok() ? "kClaimed" : refused.status().ToString());
    cluster.Signal(heir, SIGCONT);
  }

  TEST_CASE("a master failed over mid-sale: the stores go on after the map refresh") {
    RedisClusterFixture cluster(3, 3, /*node_timeout_ms=*/1000);
    ClusterStores stores(ClusterConfig(cluster));
    const int old_master = cluster.master_port(1);
    const int heir = cluster.replica_port(1);
    const std::string property = PropertyOn(*stores.client, old_master, "failover-");
    const std::string slot_key = KeysFor(stores.client->config().property_tag, property).available;
    std::string key;  // an idempotency key on the same master
    for (int i = 0; key.empty(); ++i) {
      const std::string candidate = "failover-key-" + std::to_string(i);
      if (PortOf(*stores.client, RedisIdempotencyStore::RedisKey(stores.client->config(),
                                                                 candidate)) == old_master) {
        key = candidate;
      }
    }
    OpenSale(stores.inventory, property);
    REQUIRE(stores.ClaimAsync(key, "token").ok());

    // A manual failover: the replica catches up, then takes the slots over.
    REQUIRE(cluster.On(heir, {"CLUSTER", "FAILOVER"}).ok());
    RequirePromoted(cluster, heir);
    REQUIRE(cluster.WaitClusterOk(kFailoverBound));
    const bool known = testing::WaitUntil(
        [&] {
          return cluster.MasterPortOf(RedisKeySlot(slot_key), cluster.master_port(0)) == heir;
        },
        kFailoverBound);
    REQUIRE_MESSAGE(known, "master 0 does not name port ", heir, " as the slot's master");

    // The client's map still names the old master, which now answers MOVED.
    CloseSale(stores.inventory, property);
    CHECK(stores.Complete(key, "token", "booking-failover").ok());
    CHECK(stores.idempotency.FindAccepted("booking-failover").value().has_value());
    CHECK(stores.ClaimAsync(key, "late")->state == IdempotencyClaim::State::kDone);
    CHECK(PortOf(*stores.client, slot_key) == heir);
    CHECK(stores.client->stats().moved + stores.client->stats().refreshes > 1);
    RequireAllOn(cluster, heir,
                 {slot_key, RedisIdempotencyStore::RedisKey(stores.client->config(), key)});
    CHECK(stores.client->Ping().ok());
  }
}

}  // namespace
}  // namespace wanderluxe
