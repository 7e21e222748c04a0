#include "adapters/redis/redis_client.h"

#include <hiredis/hiredis.h>

#include <chrono>

#include "adapters/redis/redis_auth.h"
#include "adapters/redis/redis_reply.h"

namespace wanderluxe {
namespace {

timeval ToTimeval(int64_t ms) {
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};

}  // namespace

Result<std::unique_ptr<RedisClient>> RedisClient::Connect(const RedisConfig& config) {
  std::unique_ptr<RedisClient> client(new RedisClient(config));
  Status s = client->Ping();
  if (!s.ok()) return s;
  return client;
}

std::unique_ptr<RedisClient> RedisClient::Create(const RedisConfig& config) {
  return std::unique_ptr<RedisClient>(new RedisClient(config));
}

RedisClient::~RedisClient() {
  for (redisContext* c : idle_) redisFree(c);
}

Result<redisContext*> RedisClient::Open() {
  const std::string where = config_.host + ":" + std::to_string(config_.port);
  redisContext* c = redisConnectWithTimeout(config_.host.c_str(), static_cast<int>(config_.port),
                                            ToTimeval(config_.connect_timeout_ms));
  if (c == nullptr) return Status::ResourceExhausted("redis: cannot allocate a connection");
  if (c->err != 0) {
    Status s = Status::Unavailable("redis at " + where + ": " + c->errstr);
    redisFree(c);
    return s;
  }
  redisSetTimeout(c, ToTimeval(config_.command_timeout_ms));
  if (!config_.password.empty()) {
    std::unique_ptr<redisReply, ReplyDeleter> r(SendArgv(c, RedisAuthCommand(config_)));
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
      const std::string why = r == nullptr ? std::string(c->errstr) : std::string(r->str, r->len);
      redisFree(c);
      return RedisAuthRefused(config_, why);
    }
  }
  if (config_.database != 0) {
    std::unique_ptr<redisReply, ReplyDeleter> r(static_cast<redisReply*>(
        redisCommand(c, "SELECT %lld", static_cast<long long>(config_.database))));
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
      const std::string why = r == nullptr ? std::string(c->errstr) : std::string(r->str, r->len);
      redisFree(c);
      return Status::Unavailable("redis at " + where + ": SELECT " +
                                 std::to_string(config_.database) + ": " + why);
    }
  }
  return c;
}

Result<redisContext*> RedisClient::Borrow() {
  {
    MutexLock lock(&mu_);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.command_timeout_ms);
    const bool available = available_cv_.WaitUntil(
        deadline, [&]() REQUIRES(mu_) { return !idle_.empty() || open_ < config_.pool_size; });
    if (!available) {
      return Status::ResourceExhausted("redis: all " + std::to_string(config_.pool_size) +
                                       " connections busy");
    }
    if (!idle_.empty()) {
      redisContext* c = idle_.back();
      idle_.pop_back();
      return c;
    }
    ++open_;  // room reserved; the connect happens outside the lock
  }
  auto opened = Open();
  if (!opened.ok()) {
    {
      MutexLock lock(&mu_);
      --open_;
    }
    available_cv_.Signal();
  }
  return opened;
}

void RedisClient::Return(redisContext* context, bool healthy) {
  {
    MutexLock lock(&mu_);
    if (healthy) {
      idle_.push_back(context);
    } else {
      redisFree(context);
      --open_;
    }
  }
  available_cv_.Signal();
}

Result<RedisReply> RedisClient::Command(const std::vector<std::string>& argv) {
  auto context = Borrow();
  if (!context.ok()) return context.status();
  std::unique_ptr<redisReply, ReplyDeleter> reply(SendArgv(*context, argv));
  if (reply == nullptr) {
    // An I/O error or timeout leaves the connection unusable: the reply may still come.
    std::string detail = (*context)->errstr;
    // hiredis reports a read timeout as an I/O error with EAGAIN's text.
    const bool timed_out = detail.find("temporarily unavailable") != std::string::npos;
    Return(*context, /*healthy=*/false);
    const std::string message = "redis " + argv.front() + ": " + detail;
    return timed_out ? Status::DeadlineExceeded(message) : Status::Unavailable(message);
  }
  Return(*context, /*healthy=*/true);
  if (reply->type == REDIS_REPLY_ERROR) {
    const std::string text(reply->str, reply->len);
    if (text.rfind("NOSCRIPT", 0) == 0) return Status::NotFound(text);
    if (text.rfind("LOADING", 0) == 0 || text.rfind("BUSY", 0) == 0) {
      return Status::Unavailable("redis " + argv.front() + ": " + text);
    }
    return Status::Internal("redis " + argv.front() + ": " + text);
  }
  return ConvertReply(reply.get());
}

Result<RedisReply> RedisClient::KeyedCommand(const std::vector<std::string>&,
                                             const std::vector<std::string>& argv) {
  return Command(argv);
}

Result<std::vector<std::string>> RedisClient::ScanKeys(const std::string& pattern) {
  std::vector<std::string> keys;
  Status s = ScanInto([this](const std::vector<std::string>& argv) { return Command(argv); },
                      pattern, &keys);
  if (!s.ok()) return s;
  return keys;
}

Status RedisClient::Ping() {
  auto reply = Command({"PING"});
  if (!reply.ok()) return reply.status();
  if (reply->text != "PONG") return Status::Internal("redis PING answered " + reply->text);
  return Status::Ok();
}

Result<std::string> RedisClient::LoadScript(const RedisScript& script) {
  auto reply = Command({"SCRIPT", "LOAD", script.source});
  if (!reply.ok()) return reply.status();
  MutexLock lock(&mu_);
  script_shas_[script.source] = reply->text;
  return reply->text;
}

Result<RedisReply> RedisClient::Eval(const RedisScript& script,
                                     const std::vector<std::string>& keys,
                                     const std::vector<std::string>& args) {
  std::string sha;
  {
    MutexLock lock(&mu_);
    auto it = script_shas_.find(script.source);
    if (it != script_shas_.end()) sha = it->second;
  }
  if (sha.empty()) {
    auto loaded = LoadScript(script);
    if (!loaded.ok()) return loaded.status();
    sha = *loaded;
  }
  std::vector<std::string> argv = {"EVALSHA", sha, std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  auto reply = Command(argv);
  if (reply.ok() || reply.status().code() != StatusCode::kNotFound) return reply;
  // NOSCRIPT: the server restarted or its script cache was flushed. Load again, once.
  auto reloaded = LoadScript(script);
  if (!reloaded.ok()) return reloaded.status();
  argv[1] = *reloaded;
  return Command(argv);
}

}  // namespace wanderluxe
