// The slot map of a Redis Cluster: which master serves each of the 16384
// slots, read from a node's CLUSTER SHARDS (Redis 7) or CLUSTER SLOTS reply.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_CLUSTER_MAP_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_CLUSTER_MAP_H_

#include <cstdint>
#include <string>
#include <vector>

#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_cluster_slot.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

struct RedisEndpoint {
  std::string host;
  int64_t port = 0;

  std::string ToString() const { return host + ":" + std::to_string(port); }
  bool operator==(const RedisEndpoint&) const = default;
};

// "host:port" as MOVED and ASK name it; an empty host (an endpoint the node
// does not know, "?" or "") is `asked_host`, the host of the node that said it.
Result<RedisEndpoint> ParseRedisEndpoint(const std::string& text, const std::string& asked_host);

struct RedisSlotMap {
  std::vector<RedisEndpoint> masters;
  std::vector<RedisEndpoint> replicas;  // not served, but asked for the map on a refresh
  // For each slot the index in `masters` of its master, or -1 when no node serves it.
  std::vector<int> owner = std::vector<int>(kRedisClusterSlots, -1);

  // The index of `endpoint` in `masters`, added when new.
  int AddMaster(const RedisEndpoint& endpoint);
  int CoveredSlots() const;
};

// `asked_host`: the host of the node that answered, for a node whose endpoint
// it leaves unknown. A reply of another shape is kInternal.
Result<RedisSlotMap> ParseClusterShards(const RedisReply& reply, const std::string& asked_host);
Result<RedisSlotMap> ParseClusterSlots(const RedisReply& reply, const std::string& asked_host);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_CLUSTER_MAP_H_
