// RedisPipeline against live servers: the shared Redis for replies, scripts
// and databases; a private redis-server, SIGSTOPped, for deadlines.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "adapters/redis/redis_pipeline.h"
#include "support/child_process.h"
#include "support/private_stack.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

const RedisScript kEchoScript{"test-echo", "return ARGV[1]"};
// Mergeable: sets its key, answers its own tag and key (a nil inside when asked).
const RedisScript kTagScript{"test-tag", R"(
redis.call('SET', KEYS[1], ARGV[1], 'PX', 60000)
if ARGV[2] == 'nil-inside' then return {ARGV[1], false, 'x'} end
return {ARGV[1], KEYS[1]}
)",
                             /*mergeable=*/true};
// Mergeable, and fails on a key that holds no integer.
const RedisScript kIncrScript{"test-incr", "return redis.call('INCR', KEYS[1])",
                              /*mergeable=*/true};

// The answers of calls 0..n-1, kept as their callbacks deliver them. Declared
// before the pipeline, so that it outlives every callback.
class Answers {
 public:
  explicit Answers(size_t n) : results_(n, Status::Internal("no answer")), at_(n), calls_(n, 0) {}

  RedisCallback For(size_t i) {
    return [this, i](Result<RedisReply> r) {
      std::lock_guard lock(mu_);
      results_[i] = std::move(r);
      at_[i] = Clock::now();
      if (calls_[i]++ == 0) ++answered_;
      answered_cv_.notify_all();
    };
  }
  // True once every call was answered within `bound`.
  bool Wait(milliseconds bound) { return WaitCount(results_.size(), bound); }
  // True once `n` calls were answered within `bound`.
  bool WaitCount(size_t n, milliseconds bound) {
    std::unique_lock lock(mu_);
    return answered_cv_.wait_for(lock, bound, [&] { return answered_ >= n; });
  }
  bool Answered(size_t i) {
    std::lock_guard lock(mu_);
    return calls_[i] > 0;
  }
  // Read once every call is answered.
  const Result<RedisReply>& result(size_t i) const { return results_[i]; }
  Clock::time_point at(size_t i) const { return at_[i]; }
  int calls(size_t i) const { return calls_[i]; }
  size_t size() const { return results_.size(); }

 private:
  std::mutex mu_;
  std::condition_variable answered_cv_;
  std::vector<Result<RedisReply>> results_;
  std::vector<Clock::time_point> at_;
  std::vector<int> calls_;
  size_t answered_ = 0;
};

// One PING through `pipeline`, answered OK within `bound`.
bool Pings(RedisPipeline& pipeline, milliseconds bound) {
  auto answers = std::make_shared<Answers>(1);
  pipeline.Command({"PING"}, [answers](Result<RedisReply> r) { answers->For(0)(std::move(r)); });
  return answers->Wait(bound) && answers->result(0).ok() && answers->result(0)->text == "PONG";
}

// `count` ECHOs of distinct tags; true when each caller got its own tag back.
bool EchoesOwnTags(RedisPipeline& pipeline, size_t count, const std::string& prefix) {
  Answers answers(count);
  for (size_t i = 0; i < count; ++i) {
    pipeline.Command({"ECHO", prefix + std::to_string(i)}, answers.For(i));
  }
  if (!answers.Wait(seconds(10))) return false;
  for (size_t i = 0; i < count; ++i) {
    if (!answers.result(i).ok() || answers.result(i)->text != prefix + std::to_string(i)) {
      return false;
    }
  }
  return true;
}

// The number of NOSCRIPT errors the server answered so far (INFO errorstats).
int64_t NoscriptErrors(RedisClient& redis) {
  auto info = redis.Command({"INFO", "errorstats"});
  REQUIRE_MESSAGE(info.ok(), info.status().ToString());
  const std::string field = "errorstat_NOSCRIPT:count=";
  const size_t at = info->text.find(field);
  return at == std::string::npos ? 0 : std::stoll(info->text.substr(at + field.size()));
}

// Calls of `command` the server has run so far (INFO commandstats).
int64_t CommandCalls(RedisClient& redis, const std::string& command) {
  auto info = redis.Command({"INFO", "commandstats"});
  REQUIRE_MESSAGE(info.ok(), info.status().ToString());
  const std::string field = "cmdstat_" + command + ":calls=";
  const size_t at = info->text.find(field);
  return at == std::string::npos ? 0 : std::stoll(info->text.substr(at + field.size()));
}

// A private redis-server that the test may SIGSTOP; SIGCONTed whatever happens,
// so that `scripts/stack down` can stop it.
struct StoppableRedis {
  StoppableRedis()
      : stack({"redis"}, "/tmp/" + testing::UniqueName("wanderluxe-pipeline")),
        pid(stack.Pid("redis")) {}
  ~StoppableRedis() { kill(pid, SIGCONT); }
  RedisConfig Settings(milliseconds timeout) const {
    RedisConfig redis = testing::LiveConfig(stack.Sets()).redis;
    redis.command_timeout_ms = timeout.count();
    redis.connect_timeout_ms = timeout.count();
    return redis;
  }
  void Stop() { REQUIRE(kill(pid, SIGSTOP) == 0); }
  void Continue() { REQUIRE(kill(pid, SIGCONT) == 0); }

  testing::PrivateStack stack;
  const pid_t pid;
};

TEST_SUITE("integration.redis_pipeline") {
  TEST_CASE("64 concurrent callers each get their own reply") {
    constexpr size_t kCallers = 64, kPerCaller = 200;
    const Config config = testing::LiveConfig();
    Answers answers(kCallers * kPerCaller);
    RedisPipeline pipeline(config.redis, /*connections=*/2, /*max_outstanding=*/65536);
    REQUIRE_MESSAGE(Pings(pipeline, seconds(5)), "Redis at ", config.redis.host, ":",
                    config.redis.port, " is not answering -- start it with scripts/stack up");
    const std::string prefix = testing::UniqueName("tag");
    auto tag = [&](size_t i) { return prefix + "-" + std::to_string(i); };
    const auto start = Clock::now();
    std::vector<std::thread> callers;
    for (size_t c = 0; c < kCallers; ++c) {
      callers.emplace_back([&, c] {
        for (size_t k = 0; k < kPerCaller; ++k) {
          const size_t i = c * kPerCaller + k;
          // Plain commands and scripts interleaved on the same connections.
          if (i % 2 == 0) {
            pipeline.Command({"ECHO", tag(i)}, answers.For(i));
          } else {
            pipeline.Eval(kEchoScript, {}, {tag(i)}, answers.For(i));
          }
        }
      });
    }
    for (auto& t : callers) t.join();
    REQUIRE_MESSAGE(answers.Wait(seconds(30)), "not every call answered within 30 s");
    const double took = std::chrono::duration<double>(Clock::now() - start).count();
    MESSAGE(answers.size(), " commands from ", kCallers, " callers over 2 connections in ", took,
            " s: ", static_cast<int64_t>(static_cast<double>(answers.size()) / took), "/s");
    size_t wrong = 0;
    for (size_t i = 0; i < answers.size(); ++i) {
      CHECK(answers.calls(i) == 1);
      const bool own = answers.result(i).ok() && answers.result(i)->text == tag(i);
      if (!own) {
        ++wrong;
        if (wrong <= 5) {
          MESSAGE("call ", i, " got ",
                  answers.result(i).ok() ? answers.result(i)->text
                                         : answers.result(i).status().ToString());
        }
      }
    }
    CHECK(wrong == 0);
  }

  TEST_CASE("commands run in the configured database, errors are a Status") {
    const Config config = testing::LiveConfig();
    REQUIRE_MESSAGE(config.redis.database != 0, "tests run in their own database (tests/main.cc)");
    auto redis = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(redis.ok(), redis.status().ToString(), " -- start it with scripts/stack up");
    RedisConfig database_zero = config.redis;
    database_zero.database = 0;
    auto redis_zero = RedisClient::Connect(database_zero);
    REQUIRE(redis_zero.ok());
    const std::string key = testing::UniqueName("pipeline:db");
    Answers answers(2);
    RedisPipeline pipeline(config.redis, 1, 16);
    pipeline.Command({"SET", key, "here", "EX", "60"}, answers.For(0));
    pipeline.Command({"INCR", key, "extra-arg"}, answers.For(1));
    REQUIRE(answers.Wait(seconds(5)));
    REQUIRE_MESSAGE(answers.result(0).ok(), answers.result(0).status().ToString());
    CHECK((*redis)->Command({"GET", key})->text == "here");
    CHECK((*redis_zero)->Command({"EXISTS", key})->integer == 0);
    CHECK(answers.result(1).status().code() == StatusCode::kInternal);
  }

  TEST_CASE("NOSCRIPT after SCRIPT FLUSH is recovered: loaded again, run once more") {
    constexpr size_t kCalls = 16;
    const Config config = testing::LiveConfig();
    auto redis = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(redis.ok(), redis.status().ToString(), " -- start it with scripts/stack up");
    Answers before(kCalls), after(kCalls);
    RedisPipeline pipeline(config.redis, 2, 1024);
    // Every connection has loaded the script and knows its SHA.
    for (size_t i = 0; i < kCalls; ++i) {
      pipeline.Eval(kEchoScript, {}, {"before-" + std::to_string(i)}, before.For(i));
    }
    REQUIRE(before.Wait(seconds(5)));
    for (size_t i = 0; i < kCalls; ++i) REQUIRE(before.result(i).ok());
    const int64_t noscript_before = NoscriptErrors(**redis);
    REQUIRE((*redis)->Command({"SCRIPT", "FLUSH"}).ok());
    for (size_t i = 0; i < kCalls; ++i) {
      pipeline.Eval(kEchoScript, {}, {"after-" + std::to_string(i)}, after.For(i));
    }
    REQUIRE(after.Wait(seconds(5)));
    for (size_t i = 0; i < kCalls; ++i) {
      REQUIRE_MESSAGE(after.result(i).ok(), after.result(i).status().ToString());
      CHECK(after.result(i)->text == "after-" + std::to_string(i));
    }
    // The SHA was sent, refused and the script loaded again: not a fresh load.
    CHECK(NoscriptErrors(**redis) > noscript_before);
  }

  // Merged calls (issue 13): many calls of a mergeable script in one round
  // trip run as one script call, and each caller still gets its own answer,
  // a nil inside it and an error of its own included.
  TEST_CASE("merged script calls: fewer EVALSHAs, every caller its own answer") {
    constexpr size_t kCalls = 2000;
    const Config config = testing::LiveConfig();
    auto redis = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(redis.ok(), redis.status().ToString(), " -- start it with scripts/stack up");
    const std::string prefix = testing::UniqueName("merge") + ":";
    const int64_t evalsha_before = CommandCalls(**redis, "evalsha");
    {
      Answers answers(kCalls);
      RedisPipeline pipeline(config.redis, 1, kCalls);
      for (size_t i = 0; i < kCalls; ++i) {
        const std::string tag = "tag-" + std::to_string(i);
        pipeline.Eval(kTagScript, {prefix + std::to_string(i)},
                      {tag, i % 7 == 0 ? "nil-inside" : "plain"}, answers.For(i));
      }
      REQUIRE(answers.Wait(seconds(20)));
      for (size_t i = 0; i < kCalls; ++i) {
        const Result<RedisReply>& r = answers.result(i);
        REQUIRE_MESSAGE(r.ok(), r.status().ToString());
        REQUIRE(r->elements.size() == (i % 7 == 0 ? 3u : 2u));
        CHECK(r->elements[0].text == "tag-" + std::to_string(i));
        if (i % 7 == 0) {
          CHECK(r->elements[1].is_nil());
          CHECK(r->elements[2].text == "x");
        } else {
          CHECK(r->elements[1].text == prefix + std::to_string(i));
        }
        CHECK(answers.calls(i) == 1);
      }
    }
    const int64_t evalsha = CommandCalls(**redis, "evalsha") - evalsha_before;
    MESSAGE(kCalls, " calls ran as ", evalsha, " EVALSHAs");
    CHECK(evalsha < static_cast<int64_t>(kCalls) / 4);
    auto stored = (*redis)->Command({"GET", prefix + "1999"});
    REQUIRE(stored.ok());
    CHECK(stored->text == "tag-1999");

    // One key holds a string: that call's INCR fails, alone; the others run
    // once each, as they would unmerged. Between two rounds the server
    // forgets its scripts: the merged script is loaded again (NOSCRIPT).
    REQUIRE((*redis)->Command({"SET", prefix + "text", "not a number", "PX", "60000"}).ok());
    constexpr size_t kIncrs = 200, kFailing = 150;
    const int64_t evalsha_incr = CommandCalls(**redis, "evalsha");
    Answers incrs(kIncrs);
    int64_t noscript_before = 0;
    {
      RedisPipeline pipeline(config.redis, 1, kIncrs);
      const auto run = [&](size_t from, size_t to) {
        for (size_t i = from; i < to; ++i) {
          pipeline.Eval(kIncrScript, {i == kFailing ? prefix + "text" : prefix + "n"}, {},
                        incrs.For(i));
        }
      };
      run(0, kIncrs / 2);
      REQUIRE(incrs.WaitCount(kIncrs / 2, seconds(10)));  // only those were sent
      noscript_before = NoscriptErrors(**redis);
      REQUIRE((*redis)->Command({"SCRIPT", "FLUSH"}).ok());
      run(kIncrs / 2, kIncrs);
      REQUIRE(incrs.Wait(seconds(10)));
    }
    CHECK(NoscriptErrors(**redis) > noscript_before);
    CHECK(CommandCalls(**redis, "evalsha") - evalsha_incr < static_cast<int64_t>(kIncrs) / 4);
    for (size_t i = 0; i < kIncrs; ++i) {
      if (i == kFailing) {
        REQUIRE_FALSE(incrs.result(i).ok());
        CHECK(incrs.result(i).status().code() == StatusCode::kInternal);
        CHECK(incrs.result(i).status().message().find("not an integer") != std::string::npos);
        continue;
      }
      REQUIRE_MESSAGE(incrs.result(i).ok(), incrs.result(i).status().ToString());
      CHECK(incrs.result(i)->type == RedisReply::Type::kInteger);
    }
    auto counted = (*redis)->Command({"GET", prefix + "n"});
    REQUIRE(counted.ok());
    CHECK(counted->text == std::to_string(kIncrs - 1));
  }

  TEST_CASE("pipeline_merge_max bounds a merged call; 1 sends each call alone") {
    constexpr size_t kCalls = 400;
    Config config = testing::LiveConfig();
    auto redis = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(redis.ok(), redis.status().ToString(), " -- start it with scripts/stack up");
    const std::string key = testing::UniqueName("merge-max");
    for (const int64_t merge_max : {int64_t{1}, int64_t{100}}) {
      config.redis.pipeline_merge_max = merge_max;
      const int64_t before = CommandCalls(**redis, "evalsha");
      Answers answers(kCalls);
      {
        RedisPipeline pipeline(config.redis, 1, kCalls);
        for (size_t i = 0; i < kCalls; ++i) pipeline.Eval(kIncrScript, {key}, {}, answers.For(i));
        REQUIRE(answers.Wait(seconds(10)));
      }
      const int64_t sent = CommandCalls(**redis, "evalsha") - before;
      MESSAGE("merge_max ", merge_max, ": ", kCalls, " calls as ", sent, " EVALSHAs");
      if (merge_max == 1) CHECK(sent >= static_cast<int64_t>(kCalls));
      if (merge_max == 100) CHECK(sent >= static_cast<int64_t>(kCalls) / 100);
      if (merge_max == 100) CHECK(sent < static_cast<int64_t>(kCalls) / 4);
    }
    auto counted = (*redis)->Command({"GET", key});
    REQUIRE(counted.ok());
    CHECK(counted->text == std::to_string(2 * kCalls));
    REQUIRE((*redis)->Command({"DEL", key}).ok());
  }

  TEST_CASE("a Redis that stops answering fails every call within its deadline; then recovers") {
    constexpr milliseconds kTimeout{300};
    // Scheduling on a loaded 2-core machine, beyond the deadline itself.
    constexpr milliseconds kSlack{400};
    constexpr size_t kCalls = 32;
    StoppableRedis server;
    Answers stalled(kCalls);
    RedisPipeline pipeline(server.Settings(kTimeout), 2, 1024);
    REQUIRE(Pings(pipeline, seconds(5)));
    server.Stop();
    const auto start = Clock::now();
    for (size_t i = 0; i < kCalls; ++i) {
      pipeline.Command({"ECHO", "stalled-" + std::to_string(i)}, stalled.For(i));
    }
    REQUIRE_MESSAGE(stalled.Wait(kTimeout + seconds(5)), "calls left hanging on a stopped server");
    milliseconds slowest{0};
    for (size_t i = 0; i < kCalls; ++i) {
      CHECK(stalled.calls(i) == 1);
      CHECK_FALSE(stalled.result(i).ok());
      CHECK_MESSAGE(stalled.result(i).status().IsTransient(),
                    stalled.result(i).status().ToString());
      slowest = std::max(slowest, std::chrono::duration_cast<milliseconds>(stalled.at(i) - start));
    }
    MESSAGE("a stopped server: all ", kCalls, " calls failed within ", slowest.count(),
            " ms (deadline ", kTimeout.count(), " ms)");
    CHECK(slowest <= kTimeout + kSlack);

    server.Continue();
    const auto continued = Clock::now();
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return Pings(pipeline, seconds(2)); }, seconds(10)),
                    "the pipeline did not recover within 10 s of SIGCONT");
    MESSAGE("answering again ",
            std::chrono::duration_cast<milliseconds>(Clock::now() - continued).count(),
            " ms after SIGCONT");
    // No late reply of the stalled connection is taken for a new call's.
    CHECK(EchoesOwnTags(pipeline, 64, "after-"));
  }

  TEST_CASE("past max_outstanding a call is refused at once; shutdown answers every call") {
    constexpr milliseconds kTimeout{1000};
    constexpr size_t kMax = 8;
    StoppableRedis server;
    Answers accepted(kMax), refused(1);
    auto pipeline = std::make_unique<RedisPipeline>(server.Settings(kTimeout), 1, kMax);
    REQUIRE(Pings(*pipeline, seconds(5)));
    server.Stop();
    for (size_t i = 0; i < kMax; ++i) pipeline->Command({"PING"}, accepted.For(i));
    pipeline->Command({"PING"}, refused.For(0));
    REQUIRE(refused.Answered(0));  // before Command returned, on this thread
    CHECK(refused.result(0).status().code() == StatusCode::kResourceExhausted);
    for (size_t i = 0; i < kMax; ++i) CHECK_FALSE(accepted.Answered(i));

    const auto start = Clock::now();
    pipeline.reset();
    const auto took = std::chrono::duration_cast<milliseconds>(Clock::now() - start);
    MESSAGE("destroyed with ", kMax, " calls on a stopped server in ", took.count(), " ms");
    CHECK(took <= kTimeout + milliseconds(500));
    for (size_t i = 0; i < kMax; ++i) {
      REQUIRE(accepted.Answered(i));
      CHECK(accepted.calls(i) == 1);
      CHECK_MESSAGE(accepted.result(i).status().IsTransient(),
                    accepted.result(i).status().ToString());
    }
  }
}

}  // namespace
}  // namespace wanderluxe
