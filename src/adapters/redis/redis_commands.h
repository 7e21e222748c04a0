// What the stores and roles ask of Redis, the same whether one server answers
// (RedisClient and RedisPipeline, redis.mode standalone) or a Redis Cluster
// (RedisClusterClient and RedisWorkers, redis.mode cluster): a reply, a Lua
// script, and the blocking and the asynchronous calls. ConnectRedis
// (redis_connect.h) builds the right ones from RedisConfig::mode.
//
// Thread safety: every call of both interfaces may run concurrently with
// every other, from any number of threads. A blocking call holds its thread
// for at most its deadline (redis.command_timeout_ms); an asynchronous one
// never blocks, and its `done` runs exactly once: on the implementation's
// I/O thread, or on the calling thread before the call returns when the call
// is refused outright (kResourceExhausted past the queue's bound,
// kUnavailable while shutting down). A `done` must be short and must not
// block; it may make further asynchronous calls.
//
// Keys: a cluster routes a call by its keys, so every call names them. A
// Command's key is argv[1]; KeyedCommand and Eval name theirs, and all of one
// call must share one slot (one {hash tag}), else the call is kInvalidArgument
// (CROSSSLOT) before anything is sent. One server ignores the routing, and
// its Command also takes commands without a key (INFO, CONFIG, SCAN).
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_COMMANDS_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_COMMANDS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

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

inline bool IsRedisCluster(const RedisConfig& config) { return config.mode == "cluster"; }

// `id` placed in RedisConfig::property_tag ("%s", or "{%s}" for a Redis
// Cluster hash tag): every key is a prefix plus this.
std::string TaggedId(const std::string& tag_pattern, const std::string& id);

// SCAN asks for about this many keys a round trip.
inline constexpr int kRedisScanCount = 1000;

class RedisCommands {
 public:
  virtual ~RedisCommands() = default;

  // A command on one key, argv[1] (GET, SET, HKEYS, ...).
  virtual Result<RedisReply> Command(const std::vector<std::string>& argv) = 0;
  // A command whose keys the caller names, all of one slot (MGET, DEL, ...).
  virtual Result<RedisReply> KeyedCommand(const std::vector<std::string>& keys,
                                          const std::vector<std::string>& argv) = 0;
  // The script by SHA (loaded where the server does not know it); its keys,
  // at least one in cluster mode, must all be in one slot.
  virtual Result<RedisReply> Eval(const RedisScript& script, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args) = 0;
  // Eval, answered only once redis.replica_acks replicas hold its effect, so
  // a failover cannot undo what the caller acts on next; kUnavailable when
  // they do not within redis.replica_ack_timeout_ms (the script ran; a retry
  // of an idempotent script is safe). With replica_acks 0, Eval.
  virtual Result<RedisReply> EvalReplicated(const RedisScript& script,
                                            const std::vector<std::string>& keys,
                                            const std::vector<std::string>& args) = 0;
  // Every node that serves keys answers PING (in a cluster: every master of
  // a map that covers all slots).
  virtual Status Ping() = 0;
  // Every key matching the glob `pattern`, of every master in a cluster;
  // each SCAN round trip has its own deadline. A key written during the scan
  // may be missed; a scan during a failover fails rather than miss a master.
  virtual Result<std::vector<std::string>> ScanKeys(const std::string& pattern) = 0;

  virtual const RedisConfig& config() const = 0;
};

using RedisCallback = std::function<void(Result<RedisReply>)>;

// The asynchronous calls, as RedisCommands has them (a Command's key is
// argv[1]); each answered within its deadline, or `done` gets an error.
class RedisAsyncCommands {
 public:
  virtual ~RedisAsyncCommands() = default;

  virtual void Command(std::vector<std::string> argv, RedisCallback done) = 0;
  // `script` must outlive the call's `done` (scripts are constants).
  virtual void Eval(const RedisScript& script, const std::vector<std::string>& keys,
                    const std::vector<std::string>& args, RedisCallback done) = 0;
  // Eval answered only once redis.replica_acks replicas hold its effect
  // (RedisCommands::EvalReplicated); with replica_acks 0, Eval.
  virtual void EvalReplicated(const RedisScript& script, const std::vector<std::string>& keys,
                              const std::vector<std::string>& args, RedisCallback done) = 0;

  virtual const RedisConfig& config() const = 0;
};

// SCAN MATCH `pattern` to its end through `send` (one server's, or one
// cluster node's, SCAN), appending what it finds to `keys`.
Status ScanInto(const std::function<Result<RedisReply>(const std::vector<std::string>&)>& send,
                const std::string& pattern, std::vector<std::string>* keys);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_COMMANDS_H_
