// The Redis Cluster slot of a key, and the slot map read from a node's reply,
// without a server (the live comparison is in integration.redis_cluster).
#include <doctest/doctest.h>

#include "adapters/redis/redis_cluster_map.h"
#include "adapters/redis/redis_cluster_slot.h"

namespace wanderluxe {
namespace {

RedisReply Str(const std::string& text) {
  RedisReply r;
  r.type = RedisReply::Type::kString;
  r.text = text;
  return r;
}
RedisReply Int(int64_t value) {
  RedisReply r;
  r.type = RedisReply::Type::kInteger;
  r.integer = value;
  return r;
}
RedisReply Array(std::vector<RedisReply> elements) {
  RedisReply r;
  r.type = RedisReply::Type::kArray;
  r.elements = std::move(elements);
  return r;
}

RedisReply ShardNode(const std::string& endpoint, int64_t port, const std::string& role,
                     const std::string& health) {
  return Array({Str("id"), Str("x"), Str("port"), Int(port), Str("ip"), Str("127.0.0.1"),
                Str("endpoint"), Str(endpoint), Str("role"), Str(role), Str("replication-offset"),
                Int(0), Str("health"), Str(health)});
}

TEST_SUITE("unit.redis_cluster_slot") {
  TEST_CASE("CRC16/XMODEM against its known vectors") {
    CHECK(RedisCrc16("") == 0x0000);
    CHECK(RedisCrc16("123456789") == 0x31C3);  // the check value of CRC-16/XMODEM
    CHECK(RedisCrc16("A") == 0x58E5);
    CHECK(RedisCrc16(std::string_view("\0", 1)) == 0x0000);
  }

  TEST_CASE("slots as the Redis Cluster specification gives them") {
    CHECK(RedisKeySlot("foo") == 12182);
    CHECK(RedisKeySlot("bar") == 5061);
    CHECK(RedisKeySlot("123456789") == 0x31C3 % 16384);
  }

  TEST_CASE("hash tags: the first {...} with something inside") {
    CHECK(RedisHashTag("{user1000}.following") == "user1000");
    CHECK(RedisKeySlot("{user1000}.following") == RedisKeySlot("{user1000}.followers"));
    CHECK(RedisHashTag("foo{}{bar}") == "foo{}{bar}");  // an empty tag: the whole key
    CHECK(RedisHashTag("foo{{bar}}zap") == "{bar");
    CHECK(RedisHashTag("foo{bar}{zap}") == "bar");
    CHECK(RedisHashTag("foo{bar") == "foo{bar");  // no closing brace
    CHECK(RedisHashTag("}foo{bar}") == "bar");
    CHECK(RedisKeySlot("inventory:{prop-dubai-royal}") == RedisKeySlot("prop-dubai-royal"));
  }

  TEST_CASE("the slot map from CLUSTER SHARDS: masters, replicas, an unknown endpoint") {
    const RedisReply reply =
        Array({Array({Str("slots"), Array({Int(0), Int(99), Int(200), Int(16383)}), Str("nodes"),
                      Array({ShardNode("127.0.0.1", 7001, "master", "online"),
                             ShardNode("127.0.0.1", 7004, "replica", "online")})}),
               Array({Str("slots"), Array({Int(100), Int(199)}), Str("nodes"),
                      Array({ShardNode("?", 7002, "master", "online")})})});
    auto map = ParseClusterShards(reply, "10.0.0.9");
    REQUIRE_MESSAGE(map.ok(), map.status().ToString());
    CHECK(map->CoveredSlots() == 16384);
    REQUIRE(map->masters.size() == 2);
    CHECK(map->masters[map->owner[0]] == RedisEndpoint{"127.0.0.1", 7001});
    CHECK(map->masters[map->owner[150]] == RedisEndpoint{"10.0.0.9", 7002});
    CHECK(map->masters[map->owner[16383]] == RedisEndpoint{"127.0.0.1", 7001});
    CHECK(map->replicas == std::vector<RedisEndpoint>{{"127.0.0.1", 7004}});
  }

  TEST_CASE("the slot map from CLUSTER SLOTS, and malformed replies") {
    const RedisReply reply = Array({Array({Int(0), Int(8191), Array({Str("127.0.0.1"), Int(7001)}),
                                           Array({Str("127.0.0.1"), Int(7003)})}),
                                    Array({Int(8192), Int(16000), Array({Str(""), Int(7002)})})});
    auto map = ParseClusterSlots(reply, "127.0.0.2");
    REQUIRE_MESSAGE(map.ok(), map.status().ToString());
    CHECK(map->CoveredSlots() == 16001);
    CHECK(map->owner[16001] == -1);
    CHECK(map->masters[map->owner[9000]] == RedisEndpoint{"127.0.0.2", 7002});
    CHECK(map->replicas.size() == 1);
    CHECK(ParseClusterSlots(Str("x"), "h").status().code() == StatusCode::kInternal);
    CHECK_FALSE(
        ParseClusterSlots(Array({Array({Int(5), Int(16384), Array({Str("h"), Int(1)})})}), "h")
            .ok());
    CHECK_FALSE(ParseClusterShards(Array({Array({Str("nodes"), Array({})})}), "h").ok());
  }

  TEST_CASE("MOVED and ASK endpoints") {
    CHECK(*ParseRedisEndpoint("127.0.0.1:7001", "h") == RedisEndpoint{"127.0.0.1", 7001});
    CHECK(*ParseRedisEndpoint(":7001", "h") == RedisEndpoint{"h", 7001});
    CHECK(*ParseRedisEndpoint("::1:7001", "h") == RedisEndpoint{"::1", 7001});
    CHECK_FALSE(ParseRedisEndpoint("nohost", "h").ok());
    CHECK_FALSE(ParseRedisEndpoint("h:x", "h").ok());
  }
}

}  // namespace
}  // namespace wanderluxe
