// Authentication of a new Redis connection: AUTH with the password, and with
// the ACL user when redis.username is set (Redis 6 and later).
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_AUTH_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_AUTH_H_

#include <string>
#include <vector>

#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

// The AUTH command for `config` (only when a password is set).
inline std::vector<std::string> RedisAuthCommand(const RedisConfig& config) {
  if (config.username.empty()) return {"AUTH", config.password};
  return {"AUTH", config.username, config.password};
}

// A refused AUTH: retrying cannot help, and the message names the server and
// the settings to look at, never the password.
inline Status RedisAuthRefused(const RedisConfig& config, const std::string& why) {
  const std::string who =
      config.username.empty() ? "the default user" : "user '" + config.username + "'";
  return Status::FailedPrecondition("redis at " + config.host + ":" + std::to_string(config.port) +
                                    " refused AUTH as " + who + ": " + why +
                                    " (check redis.username and redis.password)");
}

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_AUTH_H_
