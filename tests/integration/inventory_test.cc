// The seeded total of a property (docs/contract.md "Redis") against the live
// Redis: it is always known, a hand-set inventory cannot sell past it, and
// `verify` never passes a property whose total it would have to guess.
#include <doctest/doctest.h>
#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <memory>

#include "adapters/mongo/mongo_store.h"
#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_inventory_store.h"
#include "roles/common/invariants.h"
#include "support/find_invariant.h"
#include "support/live_invariant_checker.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

struct InventoryFixture {
  InventoryFixture() {
    config = testing::LiveConfig({"mongo.database=" + testing::UniqueName("inventory")});
    auto client = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(client.ok(), client.status().ToString(), " -- start it with scripts/stack up");
    redis = std::move(*client);
    inventory = std::make_unique<RedisInventoryStore>(*redis);
    property = testing::UniqueName("prop-inv");
  }
  // The challenge's way: `redis-cli set inventory:<p> <units>`.
  void SetByHand(int64_t units) {
    auto r = redis->Command(
        {"SET", KeysFor(config.redis.property_tag, property).available, std::to_string(units)});
    REQUIRE(r.ok());
  }
  void SetRaw(const std::string& key, const std::string& value) {
    REQUIRE(redis->Command({"SET", key, value}).ok());
  }
  // verify's I2 for this fixture's property alone.
  InvariantResult Conservation() {
    auto mongo = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(mongo.ok(), mongo.status().ToString());
    testing::LiveInvariantChecker checker(config, *redis, **mongo);
    VerifyScope scope;
    scope.properties = {property};
    scope.accepted_ids = std::vector<std::string>{};
    scope.check_audit = false;
    return testing::FindInvariant(checker.Check(scope), "I2");
  }
  void SellOne(const std::string& booking) {
    REQUIRE(inventory->Reserve(property, booking).value() == ReserveOutcome::kReserved);
    REQUIRE(inventory->Confirm(property, booking).value() == ConfirmOutcome::kConfirmed);
  }

  Config config;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<RedisInventoryStore> inventory;
  std::string property;
};

using testing::FindInvariant;

TEST_SUITE("integration.inventory") {
  TEST_CASE_FIXTURE(InventoryFixture,
                    "a property set by hand records its total at the first reserve") {
    SetByHand(3);
    CHECK_FALSE(inventory->Levels(property).value().total.has_value());
    SellOne("b-1");
    const InventoryLevels levels = inventory->Levels(property).value();
    REQUIRE(levels.total.has_value());
    CHECK(*levels.total == 3);
    CHECK(levels.available == 2);
  }

  TEST_CASE_FIXTURE(InventoryFixture,
                    "setting the inventory by hand again after a sell-out cannot oversell") {
    SetByHand(2);
    SellOne("b-1");
    SellOne("b-2");
    CHECK(inventory->Reserve(property, "b-3").value() == ReserveOutcome::kSoldOut);
    // The operator runs the challenge's command a second time.
    SetByHand(2);
    CHECK(inventory->Reserve(property, "b-4").value() == ReserveOutcome::kSoldOut);
    const InventoryLevels levels = inventory->Levels(property).value();
    CHECK(levels.sold == 2);
    CHECK(levels.held == 0);
    CHECK(levels.total.value_or(-1) == 2);
  }

  TEST_CASE_FIXTURE(InventoryFixture, "seed is the way to add stock, and it records the total") {
    SetByHand(1);
    SellOne("b-1");
    auto seeded = inventory->Seed(property, 3, /*force=*/false);
    REQUIRE(seeded.ok());
    CHECK(seeded->applied);
    CHECK(seeded->levels.total.value_or(-1) == 3);
    CHECK(seeded->levels.available == 2);
    SellOne("b-2");
    SellOne("b-3");
    CHECK(inventory->Reserve(property, "b-4").value() == ReserveOutcome::kSoldOut);
  }

  TEST_CASE_FIXTURE(InventoryFixture,
                    "a hand-set stock that is not a canonical integer is refused, naming its key") {
    const InventoryKeys keys = KeysFor(config.redis.property_tag, property);
    for (const std::string bad : {"5.0", " 5", "5 ", "05", "5e0", "+5", "five"}) {
      CAPTURE(bad);
      SetRaw(keys.available, bad);
      auto reserved = inventory->Reserve(property, "b-bad");
      REQUIRE_FALSE(reserved.ok());
      CHECK(reserved.status().message().find(keys.available) != std::string::npos);
      CHECK(reserved.status().message().find("not an integer") != std::string::npos);
      // Refused before any write: nothing held, no total guessed from it.
      auto holds = redis->Command({"HLEN", keys.holds});
      REQUIRE(holds.ok());
      CHECK(holds->integer == 0);
      auto total = redis->Command({"EXISTS", keys.total});
      REQUIRE(total.ok());
      CHECK(total->integer == 0);
      // The levels (what verify reads) refuse it too, naming the key.
      auto levels = inventory->Levels(property);
      REQUIRE_FALSE(levels.ok());
      CHECK(levels.status().message().find(keys.available) != std::string::npos);
    }
    SetRaw(keys.available, "5");
    SetRaw(keys.total, "9.2e18");
    auto reserved = inventory->Reserve(property, "b-bad");
    REQUIRE_FALSE(reserved.ok());
    CHECK(reserved.status().message().find(keys.total) != std::string::npos);
    auto levels = inventory->Levels(property);
    CHECK_FALSE(levels.ok());  // was read as 9
  }

  TEST_CASE_FIXTURE(InventoryFixture, "verify fails a property whose total it would guess") {
    SetByHand(4);  // never reserved: no total recorded
    const InvariantResult conservation = Conservation();
    CHECK(conservation.verdict == InvariantResult::Verdict::kFail);
    std::string details;
    for (const auto& d : conservation.details) details += d + "\n";
    CHECK_MESSAGE(details.find("no total") != std::string::npos, details);
  }

  TEST_CASE_FIXTURE(InventoryFixture,
                    "a restock by hand above the total is never silent: logged, and verify fails") {
    SetByHand(2);
    SellOne("b-1");
    SellOne("b-2");
    SetByHand(3);  // `redis-cli set` where `wanderluxe seed` raises the total
    auto captured = std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(8);
    auto logger = std::make_shared<spdlog::logger>("inventory-test", captured);
    const auto previous = spdlog::default_logger();
    spdlog::set_default_logger(logger);
    const auto reserved = inventory->Reserve(property, "b-3");
    spdlog::set_default_logger(previous);
    CHECK(reserved.value() == ReserveOutcome::kSoldOut);
    std::string logged;
    for (const std::string& line : captured->last_formatted()) logged += line;
    CHECK_MESSAGE(logged.find("reached the recorded total") != std::string::npos, logged);
    CHECK_MESSAGE(logged.find("wanderluxe seed " + property) != std::string::npos, logged);

    const InvariantResult conservation = Conservation();
    CHECK(conservation.verdict == InvariantResult::Verdict::kFail);
    std::string details;
    for (const auto& d : conservation.details) details += d + "\n";
    CHECK_MESSAGE(details.find(property) != std::string::npos, details);
  }

  TEST_CASE("a configured Redis database keeps its keys apart from database 0") {
    Config config = testing::LiveConfig({"redis.database=14"});
    auto db14 = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(db14.ok(), db14.status().ToString());
    config.redis.database = 0;
    auto db0 = RedisClient::Connect(config.redis);
    REQUIRE(db0.ok());
    const std::string key = testing::UniqueName("dbtest");
    REQUIRE((*db14)->Command({"SET", key, "1", "EX", "60"}).ok());
    CHECK((*db14)->Command({"EXISTS", key})->integer == 1);
    CHECK((*db0)->Command({"EXISTS", key})->integer == 0);
  }
}

}  // namespace
}  // namespace wanderluxe
