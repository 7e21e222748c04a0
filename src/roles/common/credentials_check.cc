#include "roles/common/credentials_check.h"

#include <spdlog/spdlog.h>

#include "adapters/kafka/kafka_admin.h"
#include "adapters/redis/redis_connect.h"

namespace wanderluxe {

Status CheckCredentials(const Config& config, bool uses_redis) {
  auto redis = uses_redis
                   ? ConnectRedis(config.redis)
                   : Result<std::unique_ptr<RedisCommands>>(std::unique_ptr<RedisCommands>());
  if (!redis.ok()) {
    const Status& s = redis.status();
    if (s.code() == StatusCode::kFailedPrecondition) return s;
    // A server with a password, a client without one: every command is NOAUTH.
    if (s.message().find("NOAUTH") != std::string::npos) {
      return Status::FailedPrecondition("redis at " + config.redis.host + ":" +
                                        std::to_string(config.redis.port) +
                                        " asks for a password: set redis.password (and "
                                        "redis.username for an ACL user)");
    }
    spdlog::warn("redis not checked at start: {}", s.ToString());
  }
  if (config.kafka.security_protocol.rfind("sasl_", 0) == 0) {
    Status s = PingKafka(config.kafka, std::chrono::milliseconds(config.kafka.request_timeout_ms));
    if (s.code() == StatusCode::kFailedPrecondition) return s;
    if (!s.ok()) spdlog::warn("kafka not checked at start: {}", s.ToString());
  }
  return Status::Ok();
}

}  // namespace wanderluxe
