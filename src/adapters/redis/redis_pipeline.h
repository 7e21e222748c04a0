// RedisPipeline: asynchronous Redis commands over a few connections, each
// served by one I/O thread: the RedisAsyncCommands of redis.mode standalone.
// A thread takes every command queued for its connection, writes them all at
// once, reads all their replies, then runs their callbacks: under load many
// callers share one round trip, one pass of Redis's event loop and
// (appendfsync always) one fsync, and no caller's thread waits for Redis.
//
// Thread safety: Command and Eval may be called from any thread, concurrently,
// also from inside a `done` of this pipeline. `done` runs exactly once: on the
// I/O thread of the command's connection, once its batch is answered; or on
// the calling thread, before the call returns, when the pipeline refuses the
// command (kResourceExhausted past `max_outstanding` commands not yet
// answered, kUnavailable while shutting down). A `done` must be short and
// must not block: the next batch of its connection waits for it. The
// destructor must not run concurrently with a call; it fails every command
// still queued with kUnavailable, on the destroying thread, and joins the I/O
// threads (a batch already sent finishes first, within its deadline).
//
// Merging: the calls of a RedisScript marked `mergeable` that one round trip
// carries run as one script call (one EVALSHA, one script run and one
// MULTI/EXEC in the AOF instead of one each), each answered as if it ran
// alone, its error included. Calls that share a round trip are concurrent,
// so the order they run in is any order.
// Its keys span many slots: this pipeline speaks to one Redis, not a cluster
// (redis.mode cluster has RedisWorkers instead).
//
// Deadlines: a command is answered within RedisConfig::command_timeout_ms of
// the call that queued it, or `done` gets kDeadlineExceeded (Redis may or may
// not have run it). A connection whose round trip failed or timed out is
// closed, so that no late reply is ever taken for a later command's, and the
// next batch opens a new one; a connect that failed is retried after a backoff
// (kReconnectBackoffMin doubling to kReconnectBackoffMax in the .cc), and
// meanwhile commands fail at once with kUnavailable. Connections select
// RedisConfig::database and authenticate with its password, as RedisClient's do.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_PIPELINE_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_commands.h"
#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

class RedisPipeline final : public RedisAsyncCommands {
 public:
  // `connections` connections (and I/O threads), opened on first use; at most
  // `max_outstanding` commands queued or sent and not yet answered.
  RedisPipeline(RedisConfig config, int connections, int64_t max_outstanding);
  ~RedisPipeline();

  RedisPipeline(const RedisPipeline&) = delete;
  RedisPipeline& operator=(const RedisPipeline&) = delete;

  // Sends `argv`; a Redis error reply is a Status, as RedisClient::Command has it.
  void Command(std::vector<std::string> argv, RedisCallback done) override;
  // Runs `script` by EVALSHA, loading it first where this connection has not
  // (and once more after NOSCRIPT: the server restarted or flushed its
  // scripts). `script` must outlive the call's `done` (scripts are constants).
  void Eval(const RedisScript& script, const std::vector<std::string>& keys,
            const std::vector<std::string>& args, RedisCallback done) override;
  // One server has no replica to wait for (config check refuses replica_acks
  // in standalone mode): Eval.
  void EvalReplicated(const RedisScript& script, const std::vector<std::string>& keys,
                      const std::vector<std::string>& args, RedisCallback done) override {
    Eval(script, keys, args, std::move(done));
  }

  const RedisConfig& config() const override { return config_; }

 private:
  struct Call;
  struct Unit;
  class Lane;

  void Submit(Call call);

  const RedisConfig config_;
  const int64_t max_outstanding_;
  // Commands accepted and not yet answered, over every lane.
  std::atomic<int64_t> outstanding_{0};
  std::atomic<uint64_t> next_lane_{0};  // round robin
  std::vector<std::unique_ptr<Lane>> lanes_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_PIPELINE_H_
