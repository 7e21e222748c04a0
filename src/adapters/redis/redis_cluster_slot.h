// The Redis Cluster slot of a key: CRC16 (XMODEM) of the key, or of its hash
// tag, modulo 16384, exactly as the Redis Cluster specification defines it.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_CLUSTER_SLOT_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_CLUSTER_SLOT_H_

#include <cstdint>
#include <string_view>

namespace wanderluxe {

inline constexpr int kRedisClusterSlots = 16384;

// CRC16/XMODEM (polynomial 0x1021, initial value 0, no reflection):
// RedisCrc16("123456789") == 0x31C3.
uint16_t RedisCrc16(std::string_view data);

// The part of `key` that is hashed: the bytes between the first '{' and the
// first '}' after it, when there are any; otherwise the whole key
// ("{user1000}.following" -> "user1000", "foo{}{bar}" -> the whole key,
// "foo{{bar}}zap" -> "{bar").
std::string_view RedisHashTag(std::string_view key);

// The slot, 0..16383, that owns `key`.
int RedisKeySlot(std::string_view key);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_CLUSTER_SLOT_H_
