// A small, thread-safe Redis client over hiredis: a bounded pool of blocking
// connections, every command with a timeout, Lua scripts called by SHA. The
// RedisCommands of redis.mode standalone (redis_commands.h has the contract);
// keys are not needed to route a call, so any command may be sent.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_CLIENT_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/redis_commands.h"
#include "wanderluxe/config.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/status.h"
#include "wanderluxe/thread_annotations.h"

struct redisContext;

namespace wanderluxe {

class RedisClient final : public RedisCommands {
 public:
  // Connects once to prove the server is there; fails with kUnavailable if not.
  static Result<std::unique_ptr<RedisClient>> Connect(const RedisConfig& config);
  // Connects lazily, on first use: for servers that must start while Redis is away.
  static std::unique_ptr<RedisClient> Create(const RedisConfig& config);
  ~RedisClient();

  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  Result<RedisReply> Command(const std::vector<std::string>& argv) override;
  // `keys` are not needed: one server serves every key.
  Result<RedisReply> KeyedCommand(const std::vector<std::string>& keys,
                                  const std::vector<std::string>& argv) override;
  Result<RedisReply> Eval(const RedisScript& script, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args) override;
  // One server has no replicas the engine knows of (Config::Validate refuses
  // redis.replica_acks in standalone mode): Eval.
  Result<RedisReply> EvalReplicated(const RedisScript& script, const std::vector<std::string>& keys,
                                    const std::vector<std::string>& args) override {
    return Eval(script, keys, args);
  }
  Status Ping() override;
  Result<std::vector<std::string>> ScanKeys(const std::string& pattern) override;

  const RedisConfig& config() const override { return config_; }

 private:
  explicit RedisClient(RedisConfig config) : config_(std::move(config)) {}

  // A connection from the pool, opened if there is room; waits up to the
  // command timeout for one to come back when all are busy.
  Result<redisContext*> Borrow() EXCLUDES(mu_);
  void Return(redisContext* context, bool healthy) EXCLUDES(mu_);
  Result<redisContext*> Open() EXCLUDES(mu_);  // blocking I/O
  Result<std::string> LoadScript(const RedisScript& script) EXCLUDES(mu_);

  const RedisConfig config_;
  Mutex mu_;
  CondVar available_cv_{&mu_};  // a connection went idle, or room to open one
  std::vector<redisContext*> idle_ GUARDED_BY(mu_);
  // Connections in existence, idle or lent out.
  int64_t open_ GUARDED_BY(mu_) = 0;
  // Script source -> SHA the server knows it by.
  std::map<std::string, std::string> script_shas_ GUARDED_BY(mu_);
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_CLIENT_H_
