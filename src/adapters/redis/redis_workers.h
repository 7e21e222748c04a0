// RedisWorkers: asynchronous Redis calls over blocking RedisCommands, each run
// by one of a fixed set of worker threads; the RedisAsyncCommands of
// redis.mode cluster. A worker takes the oldest queued call, makes it on
// `redis` (RedisClusterClient routes it to its slot's master, following
// redirects and failovers), then runs its `done`.
//
// Why not RedisPipeline on a cluster: a pipeline writes one round trip to one
// server, and merges calls of one script into one script call, whose keys must
// then share a slot; the idempotency keys of different requests are spread
// over every slot on purpose. Grouping a round trip's calls by slot would need
// a pipeline per master and its own redirect handling; until a measurement
// asks for it, each call is one blocking call through the cluster client.
//
// Thread safety: Command and Eval may be called from any thread, concurrently,
// also from inside a `done`. `done` runs exactly once: on a worker thread once
// the call is answered; or on the calling thread, before the call returns,
// when the call is refused (kResourceExhausted past `max_outstanding` calls
// not yet answered, kUnavailable while shutting down). A `done` blocks its
// worker until it returns. The destructor must not run concurrently with a
// call; it fails every call still queued with kUnavailable on the
// destroying thread, then lets each worker finish the call it is making
// (within its deadline) and joins them.
//
// Deadlines: a call still queued redis.command_timeout_ms after it was made
// fails kDeadlineExceeded without being sent; one taken before that has its
// own deadline of redis.command_timeout_ms, so every `done` runs within twice
// that of the call.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_WORKERS_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_WORKERS_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/redis_commands.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {

class RedisWorkers final : public RedisAsyncCommands {
 public:
  // `redis` must outlive the workers; `threads` calls run at once, at most
  // `max_outstanding` are queued or running.
  RedisWorkers(RedisCommands& redis, int threads, int64_t max_outstanding);
  ~RedisWorkers() override;

  RedisWorkers(const RedisWorkers&) = delete;
  RedisWorkers& operator=(const RedisWorkers&) = delete;

  void Command(std::vector<std::string> argv, RedisCallback done) override;
  void Eval(const RedisScript& script, const std::vector<std::string>& keys,
            const std::vector<std::string>& args, RedisCallback done) override;
  void EvalReplicated(const RedisScript& script, const std::vector<std::string>& keys,
                      const std::vector<std::string>& args, RedisCallback done) override;

  const RedisConfig& config() const override { return redis_.config(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Call {
    std::string name;  // for errors
    std::function<Result<RedisReply>()> make;
    RedisCallback done;
    Clock::time_point deadline;  // to be taken by
  };

  void Submit(std::string name, std::function<Result<RedisReply>()> make, RedisCallback done)
      EXCLUDES(mu_);
  void Work() EXCLUDES(mu_);

  RedisCommands& redis_;
  const int64_t max_outstanding_;
  Mutex mu_;
  CondVar queued_cv_{&mu_};  // a call was queued, or the workers are to stop
  std::deque<Call> queue_ GUARDED_BY(mu_);
  int64_t outstanding_ GUARDED_BY(mu_) = 0;  // queued or being made
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<std::thread> threads_;  // last: they start once everything above exists
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_WORKERS_H_
