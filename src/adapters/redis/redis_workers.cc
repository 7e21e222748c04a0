#include "adapters/redis/redis_workers.h"

#include <utility>

namespace wanderluxe {

RedisWorkers::RedisWorkers(RedisCommands& redis, int threads, int64_t max_outstanding)
    : redis_(redis), max_outstanding_(max_outstanding) {
  threads_.reserve(static_cast<size_t>(threads));
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Work(); });
}

RedisWorkers::~RedisWorkers() {
  std::deque<Call> left;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    left.swap(queue_);
  }
  queued_cv_.SignalAll();
  // The queued calls are answered at once, not after the calls being made.
  for (Call& call : left) {
    call.done(Status::Unavailable("redis " + call.name + ": shutting down (not sent)"));
  }
  for (std::thread& t : threads_) t.join();
}

void RedisWorkers::Command(std::vector<std::string> argv, RedisCallback done) {
  std::string name = argv.empty() ? std::string("command") : argv.front();
  Submit(
      std::move(name), [this, argv = std::move(argv)] { return redis_.Command(argv); },
      std::move(done));
}

void RedisWorkers::Eval(const RedisScript& script, const std::vector<std::string>& keys,
                        const std::vector<std::string>& args, RedisCallback done) {
  Submit(
      "script " + script.name,
      [this, &script, keys, args] { return redis_.Eval(script, keys, args); }, std::move(done));
}

void RedisWorkers::EvalReplicated(const RedisScript& script, const std::vector<std::string>& keys,
                                  const std::vector<std::string>& args, RedisCallback done) {
  Submit(
      "script " + script.name,
      [this, &script, keys, args] { return redis_.EvalReplicated(script, keys, args); },
      std::move(done));
}

void RedisWorkers::Submit(std::string name, std::function<Result<RedisReply>()> make,
                          RedisCallback done) {
  Status refused;
  {
    MutexLock lock(&mu_);
    if (stopping_) {
      refused = Status::Unavailable("redis " + name + ": shutting down (not sent)");
    } else if (outstanding_ >= max_outstanding_) {
      refused =
          Status::ResourceExhausted("redis " + name + ": " + std::to_string(max_outstanding_) +
                                    " calls already waiting (not sent)");
    } else {
      ++outstanding_;
      const auto deadline =
          Clock::now() + std::chrono::milliseconds(redis_.config().command_timeout_ms);
      queue_.push_back({std::move(name), std::move(make), std::move(done), deadline});
    }
  }
  if (!refused.ok()) return done(std::move(refused));
  queued_cv_.Signal();
}

void RedisWorkers::Work() {
  for (;;) {
    Call call;
    {
      MutexLock lock(&mu_);
      queued_cv_.Wait([&]() REQUIRES(mu_) { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      call = std::move(queue_.front());
      queue_.pop_front();
    }
    Result<RedisReply> reply =
        Clock::now() >= call.deadline
            ? Result<RedisReply>(Status::DeadlineExceeded(
                  "redis " + call.name + ": queued past its deadline of " +
                  std::to_string(redis_.config().command_timeout_ms) + " ms (not sent)"))
            : call.make();
    {
      // Before `done`, which may queue the call that follows from this one.
      MutexLock lock(&mu_);
      --outstanding_;
    }
    call.done(std::move(reply));
  }
}

}  // namespace wanderluxe
