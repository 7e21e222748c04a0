// RedisWorkers without a server: over a RedisCommands whose calls wait at a
// gate the test opens, so that what is queued, running and refused is known.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/redis/redis_workers.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;

// Far longer than any step here takes; a wait that runs out is a failure.
constexpr milliseconds kBound{10'000};

// Answers each call with its argv joined by spaces, once the gate is open.
class GatedRedis final : public RedisCommands {
 public:
  explicit GatedRedis(int64_t command_timeout_ms) {
    config_.command_timeout_ms = command_timeout_ms;
  }

  Result<RedisReply> Command(const std::vector<std::string>& argv) override { return Answer(argv); }
  Result<RedisReply> KeyedCommand(const std::vector<std::string>&,
                                  const std::vector<std::string>& argv) override {
    return Answer(argv);
  }
  Result<RedisReply> Eval(const RedisScript& script, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args) override {
    std::vector<std::string> argv = {"EVAL", script.name};
    argv.insert(argv.end(), keys.begin(), keys.end());
    argv.insert(argv.end(), args.begin(), args.end());
    return Answer(argv);
  }
  Result<RedisReply> EvalReplicated(const RedisScript& script, const std::vector<std::string>& keys,
                                    const std::vector<std::string>& args) override {
    return Eval(script, keys, args);
  }
  Status Ping() override { return Status::Ok(); }
  Result<std::vector<std::string>> ScanKeys(const std::string&) override {
    return std::vector<std::string>();
  }
  const RedisConfig& config() const override { return config_; }
  // Read by RedisWorkers when a call is queued: set it before queueing the calls it is for.
  void set_command_timeout_ms(int64_t ms) { config_.command_timeout_ms = ms; }

  void Open() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    open_ = true;
    changed_cv_.SignalAll();
  }
  // True once `calls` calls have reached the gate.
  bool WaitStarted(int calls) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return changed_cv_.WaitFor(kBound, [&]() REQUIRES(mu_) { return started_ >= calls; });
  }
  int started() EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return started_;
  }

 private:
  Result<RedisReply> Answer(const std::vector<std::string>& argv) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    ++started_;
    changed_cv_.SignalAll();
    if (!changed_cv_.WaitFor(kBound, [&]() REQUIRES(mu_) { return open_; })) {
      return Status::DeadlineExceeded("the test never opened the gate");
    }
    RedisReply reply;
    reply.type = RedisReply::Type::kString;
    for (const std::string& word : argv) reply.text += (reply.text.empty() ? "" : " ") + word;
    return reply;
  }

  RedisConfig config_;
  Mutex mu_;
  CondVar changed_cv_{&mu_};
  bool open_ GUARDED_BY(mu_) = false;
  int started_ GUARDED_BY(mu_) = 0;
};

// A call's answer, and the thread its `done` ran on.
struct Answer {
  Result<RedisReply> reply = Status::Unavailable("not answered");
  std::thread::id thread;
};

std::future<Answer> Send(RedisAsyncCommands& async, std::vector<std::string> argv) {
  auto answered = std::make_shared<std::promise<Answer>>();
  async.Command(std::move(argv), [answered](Result<RedisReply> reply) {
    answered->set_value({std::move(reply), std::this_thread::get_id()});
  });
  return answered->get_future();
}

Answer Get(std::future<Answer>& answer) {
  REQUIRE(answer.wait_for(kBound) == std::future_status::ready);
  return answer.get();
}

TEST_SUITE("unit.redis_workers") {
  TEST_CASE("calls are made on the workers and answered there; a done may call again") {
    GatedRedis redis(/*command_timeout_ms=*/kBound.count());
    redis.Open();
    RedisWorkers workers(redis, /*threads=*/2, /*max_outstanding=*/8);
    auto got = Send(workers, {"GET", "k"});
    const Answer a = Get(got);
    REQUIRE(a.reply.ok());
    CHECK(a.reply->text == "GET k");
    CHECK(a.thread != std::this_thread::get_id());

    const RedisScript script{"s", "return 1"};
    std::promise<std::string> chained;
    workers.Eval(script, {"{t}a"}, {"x"}, [&](Result<RedisReply> first) {
      REQUIRE(first.ok());
      workers.Command({"SET", first->text}, [&](Result<RedisReply> second) {
        chained.set_value(second.ok() ? second->text : second.status().ToString());
      });
    });
    auto second = chained.get_future();
    REQUIRE(second.wait_for(kBound) == std::future_status::ready);
    CHECK(second.get() == "SET EVAL s {t}a x");
  }

  TEST_CASE("past max_outstanding a call is refused at once, on the calling thread") {
    GatedRedis redis(/*command_timeout_ms=*/kBound.count());
    RedisWorkers workers(redis, /*threads=*/1, /*max_outstanding=*/2);
    auto running = Send(workers, {"GET", "running"});
    REQUIRE(redis.WaitStarted(1));
    auto queued = Send(workers, {"GET", "queued"});
    auto refused = Send(workers, {"GET", "refused"});
    REQUIRE(refused.wait_for(milliseconds(0)) == std::future_status::ready);
    const Answer r = refused.get();
    CHECK(r.reply.status().code() == StatusCode::kResourceExhausted);
    CHECK(r.thread == std::this_thread::get_id());
    redis.Open();
    CHECK(Get(running).reply->text == "GET running");
    CHECK(Get(queued).reply->text == "GET queued");
    // Answered calls leave room again.
    auto later = Send(workers, {"GET", "later"});
    CHECK(Get(later).reply->text == "GET later");
  }

  TEST_CASE("a call still queued at its deadline fails without being made") {
    GatedRedis redis(/*command_timeout_ms=*/kBound.count());
    RedisWorkers workers(redis, /*threads=*/1, /*max_outstanding=*/4);
    auto running = Send(workers, {"GET", "running"});
    REQUIRE(redis.WaitStarted(1));
    redis.set_command_timeout_ms(1);
    auto late = Send(workers, {"GET", "late"});
    // Time passes beyond the 1 ms deadline while the worker is held at the gate.
    std::this_thread::sleep_for(milliseconds(20));
    redis.Open();
    CHECK(Get(running).reply.ok());
    const Answer l = Get(late);
    CHECK(l.reply.status().code() == StatusCode::kDeadlineExceeded);
    CHECK(redis.started() == 1);
  }

  TEST_CASE("the destructor lets the running call finish and fails the queued ones") {
    GatedRedis redis(/*command_timeout_ms=*/kBound.count());
    auto workers = std::make_unique<RedisWorkers>(redis, /*threads=*/1, /*max_outstanding=*/4);
    auto running = Send(*workers, {"GET", "running"});
    REQUIRE(redis.WaitStarted(1));
    auto queued = Send(*workers, {"GET", "queued"});
    std::thread opener([&] {
      // The destructor fails the queued call first, then waits for the running one.
      queued.wait_for(kBound);
      redis.Open();
    });
    workers.reset();
    opener.join();
    CHECK(Get(running).reply->text == "GET running");
    const Answer q = Get(queued);
    CHECK(q.reply.status().code() == StatusCode::kUnavailable);
    CHECK(redis.started() == 1);
  }
}

}  // namespace
}  // namespace wanderluxe
