#include "adapters/redis/redis_connect.h"

#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_cluster.h"
#include "adapters/redis/redis_pipeline.h"
#include "adapters/redis/redis_workers.h"

namespace wanderluxe {
namespace {
// Result<unique_ptr<Derived>> as Result<unique_ptr<RedisCommands>>.
template <typename Client>
Result<std::unique_ptr<RedisCommands>> AsCommands(Result<std::unique_ptr<Client>> client) {
  if (!client.ok()) return client.status();
  return std::unique_ptr<RedisCommands>(std::move(*client));
}

}  // namespace

Result<std::unique_ptr<RedisCommands>> ConnectRedis(const RedisConfig& config) {
  if (IsRedisCluster(config)) return AsCommands(RedisClusterClient::Connect(config));
  return AsCommands(RedisClient::Connect(config));
}

std::unique_ptr<RedisCommands> CreateRedis(const RedisConfig& config) {
  if (IsRedisCluster(config)) return RedisClusterClient::Create(config);
  return RedisClient::Create(config);
}

std::unique_ptr<RedisAsyncCommands> CreateRedisAsync(RedisCommands& redis) {
  const RedisConfig& config = redis.config();
  if (IsRedisCluster(config)) {
    return std::make_unique<RedisWorkers>(redis, static_cast<int>(config.pool_size),
                                          config.pipeline_queue);
  }
  return std::make_unique<RedisPipeline>(config, static_cast<int>(config.pipeline_connections),
                                         config.pipeline_queue);
}

}  // namespace wanderluxe
