// A small, thread-safe Redis client over hiredis: a bounded pool of blocking
// connections, every command with a timeout, Lua scripts called by SHA.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_CLIENT_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_CLIENT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wanderluxe/config.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/status.h"
#include "wanderluxe/thread_annotations.h"

struct redisContext;

namespace wanderluxe {

// A RESP2 reply. Redis error replies never become a RedisReply: they are a Status.
struct RedisReply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string text;  // kString and kStatus
  std::vector<RedisReply> elements;

  bool is_nil() const { return type == Type::kNil; }
};

// A Lua script, identified by its source; the client loads it once per server.
struct RedisScript {
  std::string name;  // for errors and metrics
  std::string source;
  // RedisPipeline may run the calls of this script one round trip carries as
  // one script call (RedisPipeline::Lane::Send): only for a script whose
  // `return` is never nil, which reads no global but KEYS and ARGV, and whose
  // calls are independent of each other's order within a round trip.
  bool mergeable = false;
};

// `id` placed in RedisConfig::property_tag ("%s", or "{%s}" for a Redis
// Cluster hash tag): every key is a prefix plus this.
std::string TaggedId(const std::string& tag_pattern, const std::string& id);

class RedisClient {
 public:
  // Connects once to prove the server is there; fails with kUnavailable if not.
  static Result<std::unique_ptr<RedisClient>> Connect(const RedisConfig& config);
  // Connects lazily, on first use: for servers that must start while Redis is away.
  static std::unique_ptr<RedisClient> Create(const RedisConfig& config);
  ~RedisClient();

  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  Result<RedisReply> Command(const std::vector<std::string>& argv);
  Result<RedisReply> Eval(const RedisScript& script, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args);
  Status Ping();

  const RedisConfig& config() const { return config_; }

 private:
  explicit RedisClient(RedisConfig config) : config_(std::move(config)) {}

  // A connection from the pool, opened if there is room; waits up to the
  // command timeout for one to come back when all are busy.
  Result<redisContext*> Acquire() EXCLUDES(mu_);
  void Release(redisContext* context, bool healthy) EXCLUDES(mu_);
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
