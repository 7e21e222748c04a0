// The Redis a configuration names, built by RedisConfig::mode: one server
// (RedisClient, RedisPipeline) for "standalone", a Redis Cluster
// (RedisClusterClient, RedisWorkers) for "cluster". Roles build Redis only
// through these, so that every role runs on either.
//
// Thread safety: the functions may be called from any thread; what they
// return has the contract of redis_commands.h.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_CONNECT_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_CONNECT_H_

#include <memory>

#include "adapters/redis/redis_commands.h"
#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

// Connects once to prove Redis is there (a PING, or the cluster's slot map);
// kUnavailable if not, kFailedPrecondition for a refused AUTH or a server
// that is not what redis.mode says.
Result<std::unique_ptr<RedisCommands>> ConnectRedis(const RedisConfig& config);
// Connects lazily, on first use: for servers that must start while Redis is away.
std::unique_ptr<RedisCommands> CreateRedis(const RedisConfig& config);
// The asynchronous calls over `redis` (which must outlive them): a
// RedisPipeline of redis.pipeline_connections on one server; on a cluster,
// redis.pool_size RedisWorkers over `redis` itself. Both queue at most
// redis.pipeline_queue calls.
std::unique_ptr<RedisAsyncCommands> CreateRedisAsync(RedisCommands& redis);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_CONNECT_H_
