#include "adapters/redis/redis_pipeline.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <map>
#include <string_view>
#include <thread>
#include <tuple>

#include "adapters/redis/redis_auth.h"
#include "adapters/redis/redis_reply.h"
#include "wanderluxe/check.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Commands one round trip carries at most: bounds the write buffer and how
// long the first caller of a deep queue waits for the last reply of its batch.
constexpr size_t kMaxBatch = 512;
// After a failed connect, the next is tried no sooner than this, doubling up
// to the maximum; commands meanwhile fail at once instead of queueing.
constexpr milliseconds kReconnectBackoffMin{50};
constexpr milliseconds kReconnectBackoffMax{1000};

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(milliseconds ms) {
  const int64_t n = std::max<int64_t>(ms.count(), 1);
  return timeval{static_cast<time_t>(n / 1000), static_cast<suseconds_t>((n % 1000) * 1000)};
}

milliseconds Left(Clock::time_point deadline) {
  return std::chrono::ceil<milliseconds>(deadline - Clock::now());
}

// A reply as RedisClient::Command answers it: error replies are a Status,
// NOSCRIPT kNotFound (the one the caller can repair), LOADING and BUSY transient.
Result<RedisReply> FromReply(const redisReply* r, const std::string& label) {
  if (r->type != REDIS_REPLY_ERROR) return ConvertReply(r);
  const std::string text(r->str, r->len);
  if (text.rfind("NOSCRIPT", 0) == 0) return Status::NotFound(text);
  if (text.rfind("LOADING", 0) == 0 || text.rfind("BUSY", 0) == 0) {
    return Status::Unavailable("redis " + label + ": " + text);
  }
  return Status::Internal("redis " + label + ": " + text);
}

// Waits until `fd` is ready for `events`; false when `deadline` passed first.
bool AwaitReady(int fd, short events, Clock::time_point deadline) {
  for (;;) {
    const milliseconds left = Left(deadline);
    if (left.count() <= 0) return false;
    pollfd p{fd, events, 0};
    const int n = poll(&p, 1, static_cast<int>(left.count()));
    if (n > 0) return true;  // ready, or an error the next read or write reports
    if (n == 0) return false;
    if (errno != EINTR) return true;
  }
}

// Writes everything appended to `c`, then reads `count` replies, all before
// `deadline`. Replies read before a failure are kept in `replies`.
Status Exchange(redisContext* c, size_t count, Clock::time_point deadline,
                std::vector<ReplyPtr>* replies) {
  const auto timed_out = [&] {
    return Status::DeadlineExceeded("redis: no reply within " +
                                    std::to_string(Left(deadline).count()) + " ms of the deadline");
  };
  for (int written = 0; !written;) {
    if (redisBufferWrite(c, &written) != REDIS_OK) return Status::Unavailable(c->errstr);
    if (!written && !AwaitReady(c->fd, POLLOUT, deadline)) return timed_out();
  }
  while (replies->size() < count) {
    void* reply = nullptr;
    if (redisGetReplyFromReader(c, &reply) != REDIS_OK) return Status::Unavailable(c->errstr);
    if (reply != nullptr) {
      replies->emplace_back(static_cast<redisReply*>(reply));
      continue;
    }
    if (!AwaitReady(c->fd, POLLIN, deadline)) return timed_out();
    if (redisBufferRead(c) != REDIS_OK) return Status::Unavailable(c->errstr);
  }
  return Status::Ok();
}

// The script that runs a round trip's calls of `one` in one call: KEYS are
// every call's keys in turn, ARGV its key and argument counts, then every
// call's arguments; the answer is each call's own, in order. The body is
// `one`'s, as a function of its own KEYS and ARGV, run under pcall: a call
// that fails answers its own error and the others run on, exactly as each
// would alone (Redis never undoes a script's writes before its error).
RedisScript MergedScript(const RedisScript& one) {
  return {one.name + " (merged)",
          "local function one(KEYS, ARGV)\n" + one.source +
              "\nend\n"
              "local nk, na = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
              "local answers = {}\n"
              "for i = 0, #KEYS / nk - 1 do\n"
              "  local keys, args = {}, {}\n"
              "  for j = 1, nk do keys[j] = KEYS[i * nk + j] end\n"
              "  for j = 1, na do args[j] = ARGV[2 + i * na + j] end\n"
              "  local ok, answer = pcall(one, keys, args)\n"
              "  if ok then\n"
              "    answers[i + 1] = answer\n"
              "  elseif type(answer) == 'table' and answer.err then\n"
              "    answers[i + 1] = answer\n"
              "  else\n"
              "    answers[i + 1] = redis.error_reply(tostring(answer))\n"
              "  end\n"
              "end\n"
              "return answers\n",
          /*mergeable=*/false};
}

// A blocking command while a connection is being set up (AUTH, SELECT).
Status Setup(redisContext* c, std::vector<std::string> argv) {
  ReplyPtr r(SendArgv(c, argv));
  if (r == nullptr) return Status::Unavailable(argv[0] + ": " + c->errstr);
  if (r->type == REDIS_REPLY_ERROR) {
    return Status::Unavailable(argv[0] + ": " + std::string(r->str, r->len));
  }
  return Status::Ok();
}

}  // namespace

struct RedisPipeline::Call {
  std::vector<std::string> argv;        // EVALSHA <sha, set when sent> numkeys keys... args...
  const RedisScript* script = nullptr;  // set for Eval
  Clock::time_point deadline;
  RedisCallback done;

  std::string Label() const { return script != nullptr ? "script " + script->name : argv[0]; }
  size_t KeyCount() const { return static_cast<size_t>(std::stoul(argv[2])); }
};

// What one command of a round trip carries: one call, or (merged) several
// calls of one mergeable script with the same key and argument counts.
struct RedisPipeline::Unit {
  const RedisScript* script = nullptr;  // what is sent; the merged script when merged
  std::vector<size_t> calls;            // indices into the batch
  bool merged = false;
};

// One connection and the thread that serves it. Everything but the queue is
// touched by that thread only.
class RedisPipeline::Lane {
 public:
  Lane(const RedisConfig& config, std::atomic<int64_t>& outstanding)
      : config_(config), outstanding_(outstanding), thread_([this] { Run(); }) {}

  ~Lane() {
    if (context_ != nullptr) redisFree(context_);
  }

  // False (and `call` untouched) once the lane is stopping.
  bool Push(Call& call) EXCLUDES(mu_) {
    {
      MutexLock lock(&mu_);
      if (stopping_) return false;
      queue_.push_back(std::move(call));
    }
    queued_cv_.Signal();
    return true;
  }

  // Stops the thread after its current batch; returns what was still queued.
  std::deque<Call> Stop() EXCLUDES(mu_) {
    {
      MutexLock lock(&mu_);
      stopping_ = true;
    }
    queued_cv_.Signal();
    thread_.join();
    MutexLock lock(&mu_);
    return std::move(queue_);
  }

 private:
  void Run() EXCLUDES(mu_);
  // Answers every call of `batch` into `results` (same indices).
  void Serve(std::vector<Call>& batch, std::vector<Result<RedisReply>>& results);
  // Sends the calls at `indices`; once more for those that met NOSCRIPT when `retry`.
  void Send(std::vector<Call>& batch, const std::vector<size_t>& indices,
            Clock::time_point deadline, bool retry, std::vector<Result<RedisReply>>& results);
  // The commands that carry the calls at `indices`, in the order of each
  // one's first call: calls of a mergeable script with equal counts merge.
  std::vector<Unit> Plan(const std::vector<Call>& batch, const std::vector<size_t>& indices);
  // Appends the command that carries `unit`.
  void Append(std::vector<Call>& batch, const Unit& unit);
  // Answers the calls of `unit` from its reply.
  static void Answer(const std::vector<Call>& batch, const Unit& unit, const redisReply* reply,
                     std::vector<Result<RedisReply>>& results);
  // SCRIPT LOAD for each script of `units` this connection has no SHA of, in
  // one round trip. Units it cannot send are answered and dropped from
  // `units`: those of a script the server refused, or all of them when the
  // round trip failed (the connection is then closed).
  void LoadScripts(const std::vector<Call>& batch, std::vector<Unit>& units,
                   Clock::time_point deadline, std::vector<Result<RedisReply>>& results);
  Status EnsureConnected(Clock::time_point deadline);
  void Disconnect();

  const RedisConfig& config_;
  std::atomic<int64_t>& outstanding_;

  redisContext* context_ = nullptr;  // nullptr: not connected
  // Script source -> the SHA the server knows it by.
  std::map<std::string, std::string> shas_;
  // Mergeable script's source -> its merged script (stable: map nodes).
  std::map<std::string, RedisScript> merged_;
  milliseconds backoff_{0};
  Clock::time_point next_connect_{};
  std::string last_connect_error_;

  Mutex mu_;
  CondVar queued_cv_{&mu_};
  std::deque<Call> queue_ GUARDED_BY(mu_);
  bool stopping_ GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: starts once everything above exists
};

void RedisPipeline::Lane::Run() {
  std::vector<Call> batch;
  std::vector<Result<RedisReply>> results;
  for (;;) {
    batch.clear();
    {
      MutexLock lock(&mu_);
      queued_cv_.Wait([&]() REQUIRES(mu_) { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && batch.size() < kMaxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    results.assign(batch.size(), Status::Internal("redis: command not answered"));
    Serve(batch, results);
    // Room for follow-up commands the callbacks may send.
    outstanding_.fetch_sub(static_cast<int64_t>(batch.size()));
    for (size_t i = 0; i < batch.size(); ++i) batch[i].done(std::move(results[i]));
  }
}

void RedisPipeline::Lane::Serve(std::vector<Call>& batch,
                                std::vector<Result<RedisReply>>& results) {
  const Clock::time_point now = Clock::now();
  std::vector<size_t> live;
  Clock::time_point deadline = Clock::time_point::max();
  for (size_t i = 0; i < batch.size(); ++i) {
    if (batch[i].deadline <= now) {
      results[i] = Status::DeadlineExceeded("redis " + batch[i].Label() +
                                            ": not sent within its deadline (queue behind a "
                                            "slow round trip)");
      continue;
    }
    live.push_back(i);
    deadline = std::min(deadline, batch[i].deadline);
  }
  if (live.empty()) return;
  if (Status s = EnsureConnected(deadline); !s.ok()) {
    for (size_t i : live) results[i] = s;
    return;
  }
  Send(batch, live, deadline, /*retry=*/true, results);
}

void RedisPipeline::Lane::Send(std::vector<Call>& batch, const std::vector<size_t>& indices,
                               Clock::time_point deadline, bool retry,
                               std::vector<Result<RedisReply>>& results) {
  std::vector<Unit> units = Plan(batch, indices);
  LoadScripts(batch, units, deadline, results);
  if (units.empty()) return;  // LoadScripts answered them all
  for (const Unit& unit : units) Append(batch, unit);
  std::vector<ReplyPtr> replies;
  const Status exchanged = Exchange(context_, units.size(), deadline, &replies);
  std::vector<size_t> noscript;
  for (size_t k = 0; k < units.size(); ++k) {
    const Unit& unit = units[k];
    if (k >= replies.size()) {
      for (size_t i : unit.calls) {
        results[i] =
            Status(exchanged.code(), "redis " + batch[i].Label() + " at " + config_.host + ":" +
                                         std::to_string(config_.port) + ": " + exchanged.message());
      }
      continue;
    }
    Answer(batch, unit, replies[k].get(), results);
    if (unit.script != nullptr &&
        results[unit.calls.front()].status().code() == StatusCode::kNotFound) {
      shas_.erase(unit.script->source);
      noscript.insert(noscript.end(), unit.calls.begin(), unit.calls.end());
    }
  }
  if (!exchanged.ok()) {
    Disconnect();
    return;
  }
  if (retry && !noscript.empty()) {
    std::sort(noscript.begin(), noscript.end());
    Send(batch, noscript, deadline, /*retry=*/false, results);
  }
}

std::vector<RedisPipeline::Unit> RedisPipeline::Lane::Plan(const std::vector<Call>& batch,
                                                           const std::vector<size_t>& indices) {
  std::vector<Unit> units;
  const auto merge_max = static_cast<size_t>(config_.pipeline_merge_max);
  // (script, key count, argument count) -> the unit merging those calls.
  std::map<std::tuple<const RedisScript*, size_t, size_t>, size_t> open;
  for (size_t i : indices) {
    const Call& call = batch[i];
    if (call.script == nullptr || !call.script->mergeable || call.KeyCount() == 0 ||
        merge_max < 2) {
      units.push_back({call.script, {i}, false});
      continue;
    }
    const size_t keys = call.KeyCount();
    const auto group = std::make_tuple(call.script, keys, call.argv.size() - 3 - keys);
    auto [at, fresh] = open.try_emplace(group, units.size());
    if (!fresh && units[at->second].calls.size() >= merge_max) {
      at->second = units.size();  // full: the next calls start another
      fresh = true;
    }
    if (fresh) {
      units.push_back({call.script, {i}, false});
    } else {
      units[at->second].calls.push_back(i);
    }
  }
  // A unit of one call goes as it is; only two or more are worth merging.
  for (Unit& unit : units) {
    if (unit.calls.size() < 2) continue;
    const std::string& source = unit.script->source;
    auto found = merged_.find(source);
    if (found == merged_.end()) found = merged_.emplace(source, MergedScript(*unit.script)).first;
    unit.script = &found->second;
    unit.merged = true;
  }
  return units;
}

void RedisPipeline::Lane::Append(std::vector<Call>& batch, const Unit& unit) {
  std::vector<const char*> args;
  std::vector<size_t> lengths;
  // Views: of a literal, or of a string that outlives the append below.
  const auto add = [&](std::string_view a) {
    args.push_back(a.data());
    lengths.push_back(a.size());
  };
  std::string sha, total_keys, key_count, arg_count;  // the merged call's
  if (!unit.merged) {
    Call& call = batch[unit.calls.front()];
    if (call.script != nullptr) call.argv[1] = shas_.at(call.script->source);
    for (const auto& a : call.argv) add(a);
  } else {
    const Call& first = batch[unit.calls.front()];
    const size_t keys = first.KeyCount();
    sha = shas_.at(unit.script->source);
    total_keys = std::to_string(keys * unit.calls.size());
    key_count = std::to_string(keys);
    arg_count = std::to_string(first.argv.size() - 3 - keys);
    add("EVALSHA");
    add(sha);
    add(total_keys);
    for (size_t i : unit.calls) {
      for (size_t k = 0; k < keys; ++k) add(batch[i].argv[3 + k]);
    }
    add(key_count);
    add(arg_count);
    for (size_t i : unit.calls) {
      for (size_t a = 3 + keys; a < batch[i].argv.size(); ++a) add(batch[i].argv[a]);
    }
  }
  redisAppendCommandArgv(context_, static_cast<int>(args.size()), args.data(), lengths.data());
}

void RedisPipeline::Lane::Answer(const std::vector<Call>& batch, const Unit& unit,
                                 const redisReply* reply,
                                 std::vector<Result<RedisReply>>& results) {
  if (!unit.merged) {
    const size_t i = unit.calls.front();
    results[i] = FromReply(reply, batch[i].Label());
    return;
  }
  // An error is the whole merged call's: each of its calls gets it.
  if (reply->type == REDIS_REPLY_ERROR) {
    for (size_t i : unit.calls) results[i] = FromReply(reply, batch[i].Label());
    return;
  }
  if (reply->type != REDIS_REPLY_ARRAY || reply->elements != unit.calls.size()) {
    for (size_t i : unit.calls) {
      results[i] = Status::Internal("redis " + batch[i].Label() + ": merged call answered " +
                                    std::to_string(reply->elements) + " replies for " +
                                    std::to_string(unit.calls.size()) + " calls");
    }
    return;
  }
  for (size_t k = 0; k < unit.calls.size(); ++k) {
    results[unit.calls[k]] = FromReply(reply->element[k], batch[unit.calls[k]].Label());
  }
}

void RedisPipeline::Lane::LoadScripts(const std::vector<Call>& batch, std::vector<Unit>& units,
                                      Clock::time_point deadline,
                                      std::vector<Result<RedisReply>>& results) {
  std::vector<const RedisScript*> missing;
  for (const Unit& unit : units) {
    const RedisScript* script = unit.script;
    if (script == nullptr || shas_.count(script->source)) continue;
    if (std::none_of(missing.begin(), missing.end(),
                     [&](const RedisScript* s) { return s->source == script->source; })) {
      missing.push_back(script);
    }
  }
  if (missing.empty()) return;
  for (const RedisScript* script : missing) {
    const char* argv[] = {"SCRIPT", "LOAD", script->source.data()};
    const size_t lengths[] = {6, 4, script->source.size()};
    redisAppendCommandArgv(context_, 3, argv, lengths);
  }
  std::vector<ReplyPtr> replies;
  const Status exchanged = Exchange(context_, missing.size(), deadline, &replies);
  if (!exchanged.ok()) {
    Disconnect();
    for (const Unit& unit : units) {
      for (size_t i : unit.calls) {
        results[i] = Status(exchanged.code(), "redis " + batch[i].Label() +
                                                  " (loading scripts): " + exchanged.message());
      }
    }
    units.clear();
    return;
  }
  for (size_t k = 0; k < missing.size(); ++k) {
    auto loaded = FromReply(replies[k].get(), "SCRIPT LOAD " + missing[k]->name);
    if (loaded.ok()) shas_[missing[k]->source] = loaded->text;
  }
  // A script the server refused to load (it does not compile): its calls get that error.
  std::vector<Unit> ready;
  for (Unit& unit : units) {
    const RedisScript* script = unit.script;
    if (script == nullptr || shas_.count(script->source)) {
      ready.push_back(std::move(unit));
      continue;
    }
    const auto k = static_cast<size_t>(
        std::find_if(missing.begin(), missing.end(),
                     [&](const RedisScript* s) { return s->source == script->source; }) -
        missing.begin());
    for (size_t i : unit.calls) {
      results[i] = FromReply(replies[k].get(), "SCRIPT LOAD " + script->name).status();
    }
  }
  units = std::move(ready);
}

Status RedisPipeline::Lane::EnsureConnected(Clock::time_point deadline) {
  if (context_ != nullptr) return Status::Ok();
  const std::string where = config_.host + ":" + std::to_string(config_.port);
  const Clock::time_point now = Clock::now();
  if (now < next_connect_) {
    return Status::Unavailable("redis at " + where + ": reconnecting in " +
                               std::to_string(Left(next_connect_).count()) +
                               " ms; last attempt: " + last_connect_error_);
  }
  const milliseconds connect_timeout =
      std::min(milliseconds(config_.connect_timeout_ms), Left(deadline));
  redisContext* c = redisConnectWithTimeout(config_.host.c_str(), static_cast<int>(config_.port),
                                            ToTimeval(connect_timeout));
  Status s;
  if (c == nullptr) {
    s = Status::ResourceExhausted("redis: cannot allocate a connection");
  } else if (c->err != 0) {
    s = Status::Unavailable(c->errstr);
  } else {
    // AUTH and SELECT block, each bounded by what is left of the deadline.
    redisSetTimeout(c, ToTimeval(Left(deadline)));
    if (!config_.password.empty()) {
      s = Setup(c, RedisAuthCommand(config_));
      if (!s.ok() && s.code() != StatusCode::kDeadlineExceeded) {
        s = RedisAuthRefused(config_, s.message());
      }
    }
    if (s.ok() && config_.database != 0) s = Setup(c, {"SELECT", std::to_string(config_.database)});
  }
  if (s.ok()) {
    // From here on every wait is a poll() bounded by the batch's deadline:
    // hiredis reads and writes without blocking once REDIS_BLOCK is off.
    const int flags = fcntl(c->fd, F_GETFL);
    if (flags < 0 || fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) < 0) {
      s = Status::Unavailable("cannot make the connection non-blocking");
    }
    c->flags &= ~REDIS_BLOCK;
  }
  if (!s.ok()) {
    if (c != nullptr) redisFree(c);
    backoff_ = std::clamp(backoff_ * 2, kReconnectBackoffMin, kReconnectBackoffMax);
    next_connect_ = Clock::now() + backoff_;
    last_connect_error_ = s.message();
    if (s.message().rfind("redis at ", 0) == 0) return s;  // it names the server already
    return Status(s.code(), "redis at " + where + ": " + s.message());
  }
  context_ = c;
  backoff_ = milliseconds(0);
  return Status::Ok();
}

void RedisPipeline::Lane::Disconnect() {
  redisFree(context_);
  context_ = nullptr;
}

RedisPipeline::RedisPipeline(RedisConfig config, int connections, int64_t max_outstanding)
    : config_(std::move(config)), max_outstanding_(max_outstanding) {
  WL_CHECK(connections > 0, "RedisPipeline needs at least one connection");
  WL_CHECK(max_outstanding > 0, "RedisPipeline needs room for at least one command");
  for (int i = 0; i < connections; ++i) {
    lanes_.push_back(std::make_unique<Lane>(config_, outstanding_));
  }
}

RedisPipeline::~RedisPipeline() {
  for (auto& lane : lanes_) {
    for (Call& call : lane->Stop()) {
      outstanding_.fetch_sub(1);
      call.done(Status::Unavailable("redis " + call.Label() + ": the pipeline is shutting down"));
    }
  }
}

void RedisPipeline::Command(std::vector<std::string> argv, RedisCallback done) {
  WL_CHECK(!argv.empty(), "a Redis command needs a name");
  Submit(Call{std::move(argv), nullptr, {}, std::move(done)});
}

void RedisPipeline::Eval(const RedisScript& script, const std::vector<std::string>& keys,
                         const std::vector<std::string>& args, RedisCallback done) {
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.emplace_back();  // the SHA: the connection's own knowledge, set when sent
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  Submit(Call{std::move(argv), &script, {}, std::move(done)});
}

void RedisPipeline::Submit(Call call) {
  call.deadline = Clock::now() + milliseconds(config_.command_timeout_ms);
  if (outstanding_.fetch_add(1) >= max_outstanding_) {
    outstanding_.fetch_sub(1);
    call.done(Status::ResourceExhausted("redis " + call.Label() + ": " +
                                        std::to_string(max_outstanding_) +
                                        " commands already waiting for Redis"));
    return;
  }
  Lane& lane = *lanes_[next_lane_.fetch_add(1) % lanes_.size()];
  if (!lane.Push(call)) {
    outstanding_.fetch_sub(1);
    call.done(Status::Unavailable("redis " + call.Label() + ": the pipeline is shutting down"));
  }
}

}  // namespace wanderluxe
