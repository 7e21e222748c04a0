// Lua scripts and plain commands through our own Redis adapter, live server.
#include <doctest/doctest.h>

#include "adapters/redis/redis_client.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

std::unique_ptr<RedisClient> ConnectOrFail(const Config& config) {
  auto client = RedisClient::Connect(config.redis);
  REQUIRE_MESSAGE(client.ok(), "Redis at ", config.redis.host, ":", config.redis.port,
                  " is not answering: ", client.status().ToString(),
                  " -- start it with scripts/stack up");
  return std::move(*client);
}

const RedisScript kDecrementIfPositive{"decrement-if-positive", R"(
local v = tonumber(redis.call('GET', KEYS[1]) or '0')
if v <= 0 then return -1 end
return redis.call('DECR', KEYS[1])
)"};

TEST_SUITE("integration.redis") {
  TEST_CASE("a Lua script runs atomically and by SHA") {
    auto redis = ConnectOrFail(testing::LiveConfig());
    const std::string key = testing::UniqueName("smoke:inventory");
    REQUIRE(redis->Command({"SET", key, "2", "EX", "60"}).ok());
    auto first = redis->Eval(kDecrementIfPositive, {key}, {});
    REQUIRE_MESSAGE(first.ok(), first.status().ToString());
    CHECK(first->integer == 1);
    CHECK(redis->Eval(kDecrementIfPositive, {key}, {})->integer == 0);
    CHECK(redis->Eval(kDecrementIfPositive, {key}, {})->integer == -1);
    CHECK(redis->Command({"GET", key})->text == "0");
  }

  TEST_CASE("a flushed script cache is reloaded transparently") {
    auto redis = ConnectOrFail(testing::LiveConfig());
    const std::string key = testing::UniqueName("smoke:reload");
    REQUIRE(redis->Command({"SET", key, "5", "EX", "60"}).ok());
    REQUIRE(redis->Eval(kDecrementIfPositive, {key}, {}).ok());
    REQUIRE(redis->Command({"SCRIPT", "FLUSH"}).ok());
    auto after = redis->Eval(kDecrementIfPositive, {key}, {});
    REQUIRE_MESSAGE(after.ok(), after.status().ToString());
    CHECK(after->integer == 3);
  }

  TEST_CASE("a Redis error reply is a Status, not a value") {
    auto redis = ConnectOrFail(testing::LiveConfig());
    auto reply = redis->Command({"INCR", testing::UniqueName("smoke:notint"), "extra-arg"});
    CHECK_FALSE(reply.ok());
    CHECK(reply.status().code() == StatusCode::kInternal);
  }

  TEST_CASE("an unreachable server is kUnavailable, quickly") {
    Config config = testing::LiveConfig();
    config.redis.port = 1;
    auto client = RedisClient::Connect(config.redis);
    REQUIRE_FALSE(client.ok());
    CHECK(client.status().code() == StatusCode::kUnavailable);
  }
}

}  // namespace
}  // namespace wanderluxe
