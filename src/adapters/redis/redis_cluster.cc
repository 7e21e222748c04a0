#include "adapters/redis/redis_cluster.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <optional>
#include <thread>

#include "adapters/redis/redis_auth.h"
#include "adapters/redis/redis_reply.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;

// The pause before trying again after a node could not be reached, or the
// cluster said TRYAGAIN or CLUSTERDOWN; always within the call's deadline.
constexpr milliseconds kRetryPause{25};
// The least time a refresh gives one node to answer CLUSTER SHARDS.
constexpr int64_t kMinMapReadMs = 50;

struct ReplyDeleter {
  void operator()(redisReply* r) const { freeReplyObject(r); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

timeval ToTimeval(int64_t ms) {
  ms = std::max<int64_t>(ms, 1);
  return timeval{static_cast<time_t>(ms / 1000), static_cast<suseconds_t>((ms % 1000) * 1000)};
}

int64_t MsUntil(std::chrono::steady_clock::time_point deadline) {
  return std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now())
      .count();
}

ReplyPtr Exchange(redisContext* c, const std::vector<std::string>& argv) {
  return ReplyPtr(SendArgv(c, argv));
}

bool StartsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

void PauseBefore(std::chrono::steady_clock::time_point deadline) {
  const auto pause =
      std::min<milliseconds>(kRetryPause, milliseconds(std::max<int64_t>(0, MsUntil(deadline))));
  std::this_thread::sleep_for(pause);
}

}  // namespace

struct RedisClusterClient::Attempt {
  enum class Kind {
    kReply,        // the answer
    kFailed,       // a final error: `status`
    kMoved,        // the slot moved to `target` for good
    kAsk,          // this one call goes to `target` (a migration in progress)
    kRetry,        // TRYAGAIN, CLUSTERDOWN, LOADING: the same node, later
    kUnreachable,  // no connection to the node: nothing was sent
    kBroken,       // the connection broke after the command was sent
  };
  Kind kind = Kind::kFailed;
  RedisReply reply;
  Status status;
  RedisEndpoint target;
};

Result<std::unique_ptr<RedisClusterClient>> RedisClusterClient::Connect(const RedisConfig& config) {
  if (config.database != 0) {
    return Status::FailedPrecondition(
        "redis.database is " + std::to_string(config.database) +
        ", but a Redis Cluster has only database 0 (no SELECT in redis.mode cluster)");
  }
  std::unique_ptr<RedisClusterClient> client(new RedisClusterClient(config));
  if (Status s = client->Refresh(); !s.ok()) return s;
  return client;
}

std::unique_ptr<RedisClusterClient> RedisClusterClient::Create(const RedisConfig& config) {
  return std::unique_ptr<RedisClusterClient>(new RedisClusterClient(config));
}

RedisClusterClient::~RedisClusterClient() {
  for (auto& [name, pool] : pools_) {
    for (redisContext* c : pool->idle) redisFree(c);
  }
}

Result<redisContext*> RedisClusterClient::Open(const RedisEndpoint& node,
                                               Clock::time_point deadline) {
  const int64_t left = MsUntil(deadline);
  if (left <= 0) return Status::DeadlineExceeded("redis at " + node.ToString() + ": no time left");
  redisContext* c = redisConnectWithTimeout(node.host.c_str(), static_cast<int>(node.port),
                                            ToTimeval(std::min(config_.connect_timeout_ms, left)));
  if (c == nullptr) return Status::ResourceExhausted("redis: cannot allocate a connection");
  if (c->err != 0) {
    Status s = Status::Unavailable("redis at " + node.ToString() + ": " + c->errstr);
    redisFree(c);
    return s;
  }
  redisSetTimeout(c, ToTimeval(std::min(config_.command_timeout_ms, MsUntil(deadline))));
  if (!config_.password.empty()) {
    ReplyPtr r = Exchange(c, RedisAuthCommand(config_));
    if (r == nullptr || r->type == REDIS_REPLY_ERROR) {
      const std::string why = r == nullptr ? std::string(c->errstr) : std::string(r->str, r->len);
      redisFree(c);
      if (r == nullptr) return Status::Unavailable("redis at " + node.ToString() + ": " + why);
      RedisConfig where = config_;
      where.host = node.host;
      where.port = node.port;
      return RedisAuthRefused(where, why);
    }
  }
  return c;
}

Result<redisContext*> RedisClusterClient::Borrow(const RedisEndpoint& node,
                                                 Clock::time_point deadline) {
  {
    MutexLock lock(&mu_);
    std::unique_ptr<Pool>& slot = pools_[node.ToString()];
    if (slot == nullptr) slot = std::make_unique<Pool>();
    Pool* pool = slot.get();
    const bool available = available_cv_.WaitUntil(deadline, [&]() REQUIRES(mu_) {
      return !pool->idle.empty() || pool->open < config_.pool_size;
    });
    if (!available) {
      return Status::ResourceExhausted("redis at " + node.ToString() + ": all " +
                                       std::to_string(config_.pool_size) + " connections busy");
    }
    if (!pool->idle.empty()) {
      redisContext* c = pool->idle.back();
      pool->idle.pop_back();
      return c;
    }
    ++pool->open;  // room reserved; the connect happens outside the lock
  }
  auto opened = Open(node, deadline);
  if (!opened.ok()) {
    {
      MutexLock lock(&mu_);
      --pools_[node.ToString()]->open;
    }
    available_cv_.SignalAll();
  }
  return opened;
}

void RedisClusterClient::Return(const RedisEndpoint& node, redisContext* context, bool healthy) {
  std::vector<redisContext*> dead;
  {
    MutexLock lock(&mu_);
    Pool* pool = pools_[node.ToString()].get();
    if (healthy) {
      pool->idle.push_back(context);
    } else {
      // The node went away or stalled: its idle connections are as good as broken.
      dead.swap(pool->idle);
      dead.push_back(context);
      pool->open -= static_cast<int64_t>(dead.size());
    }
  }
  for (redisContext* c : dead) redisFree(c);
  available_cv_.SignalAll();
}

RedisClusterClient::Attempt RedisClusterClient::TryOn(const RedisEndpoint& node,
                                                      const std::vector<std::string>& argv,
                                                      const RedisScript* script, bool asking,
                                                      const std::string* fence,
                                                      Clock::time_point deadline) {
  Attempt out;
  const std::string name = script != nullptr ? "script " + script->name : argv.front();
  auto context = Borrow(node, deadline);
  if (!context.ok()) {
    out.status = context.status();
    out.kind = out.status.code() == StatusCode::kUnavailable ? Attempt::Kind::kUnreachable
                                                             : Attempt::Kind::kFailed;
    return out;
  }
  redisContext* c = *context;
  redisSetTimeout(c, ToTimeval(MsUntil(deadline)));

  std::vector<std::string> command = argv;
  ReplyPtr reply;
  bool io_ok = true;
  // SCRIPT LOAD (when needed), ASKING (when asked to), then the command: ASKING
  // holds for the one command that follows it.
  auto send = [&](bool load) {
    if (script != nullptr) {
      std::string sha;
      if (!load) {
        MutexLock lock(&mu_);
        auto it = script_shas_.find(script->source);
        if (it != script_shas_.end()) sha = it->second;
      }
      if (sha.empty()) {
        ReplyPtr loaded = Exchange(c, {"SCRIPT", "LOAD", script->source});
        if (loaded == nullptr) return false;
        if (loaded->type != REDIS_REPLY_STRING && loaded->type != REDIS_REPLY_STATUS) {
          reply = std::move(loaded);  // an error reply, classified below
          return true;
        }
        sha.assign(loaded->str, loaded->len);
        MutexLock lock(&mu_);
        script_shas_[script->source] = sha;
      }
      command[1] = sha;
    }
    if (asking) {
      ReplyPtr ok = Exchange(c, {"ASKING"});
      if (ok == nullptr) return false;
    }
    reply = Exchange(c, command);
    return reply != nullptr;
  };
  io_ok = send(/*load=*/false);
  if (io_ok && script != nullptr && reply->type == REDIS_REPLY_ERROR &&
      StartsWith(std::string(reply->str, reply->len), "NOSCRIPT")) {
    io_ok = send(/*load=*/true);  // the node restarted, failed over or flushed its scripts
  }
  if (!io_ok) {
    const std::string detail = c->errstr;
    // hiredis reports a read timeout as an I/O error with EAGAIN's text.
    const bool timed_out = detail.find("temporarily unavailable") != std::string::npos;
    Return(node, c, /*healthy=*/false);
    const std::string message = "redis " + name + " at " + node.ToString() + ": " + detail;
    if (timed_out) {
      out.kind = Attempt::Kind::kFailed;
      out.status = Status::DeadlineExceeded(message + " (outcome unknown)");
    } else {
      out.kind = Attempt::Kind::kBroken;
      out.status = Status::Unavailable(message + " (outcome unknown)");
    }
    return out;
  }
  if (reply->type != REDIS_REPLY_ERROR && fence != nullptr) {
    bool healthy = true;
    Status replicated = AwaitReplicas(c, *fence, deadline, &healthy);
    Return(node, c, healthy);
    if (!replicated.ok()) {
      out.kind = Attempt::Kind::kFailed;
      out.status = Status::Unavailable("redis " + name + " at " + node.ToString() + ": " +
                                       replicated.message());
      return out;
    }
    out.kind = Attempt::Kind::kReply;
    out.reply = ConvertReply(reply.get());
    return out;
  }
  Return(node, c, /*healthy=*/true);
  if (reply->type != REDIS_REPLY_ERROR) {
    out.kind = Attempt::Kind::kReply;
    out.reply = ConvertReply(reply.get());
    return out;
  }
  const std::string text(reply->str, reply->len);
  const std::string message = "redis " + name + " at " + node.ToString() + ": " + text;
  if (StartsWith(text, "MOVED ") || StartsWith(text, "ASK ")) {
    // "MOVED <slot> <host>:<port>"
    const size_t space = text.rfind(' ');
    auto target = ParseRedisEndpoint(text.substr(space + 1), node.host);
    if (!target.ok()) {
      out.status = Status::Internal(message + ": " + target.status().message());
      return out;
    }
    out.kind = StartsWith(text, "MOVED ") ? Attempt::Kind::kMoved : Attempt::Kind::kAsk;
    out.target = *target;
    out.status = Status::Unavailable(message);
    return out;
  }
  if (StartsWith(text, "TRYAGAIN") || StartsWith(text, "CLUSTERDOWN") ||
      StartsWith(text, "LOADING") || StartsWith(text, "MASTERDOWN")) {
    out.kind = Attempt::Kind::kRetry;
    out.status = Status::Unavailable(message);
    return out;
  }
  if (StartsWith(text, "CROSSSLOT")) {
    out.status = Status::InvalidArgument(message);
  } else if (StartsWith(text, "BUSY")) {
    out.status = Status::Unavailable(message);
  } else {
    out.status = Status::Internal(message);
  }
  return out;
}

Result<RedisReply> RedisClusterClient::Route(const std::vector<std::string>& keys,
                                             const std::vector<std::string>& argv,
                                             const RedisScript* script, const std::string* fence) {
  const std::string name = script != nullptr ? "script " + script->name : argv.front();
  if (keys.empty()) {
    return Status::InvalidArgument("redis " + name +
                                   ": a Redis Cluster call needs a key to route it by");
  }
  const int slot = RedisKeySlot(keys.front());
  for (const std::string& key : keys) {
    if (RedisKeySlot(key) != slot) {
      return Status::InvalidArgument("redis " + name + ": CROSSSLOT: keys '" + keys.front() +
                                     "' (slot " + std::to_string(slot) + ") and '" + key +
                                     "' (slot " + std::to_string(RedisKeySlot(key)) +
                                     ") are in different slots; give them one {hash tag}");
    }
  }
  const Clock::time_point deadline = Clock::now() + milliseconds(config_.command_timeout_ms);
  bool suspect = false;
  {
    MutexLock lock(&mu_);
    suspect = map_suspect_;
  }
  if (suspect) RefreshIfDue(deadline);
  std::optional<RedisEndpoint> ask_target;
  int redirects = 0;
  Status last = Status::Unavailable("redis " + name + ": no node tried");
  for (;;) {
    if (Clock::now() >= deadline) {
      // Nothing was sent when no node could be reached: the caller may retry.
      if (last.code() == StatusCode::kUnavailable) {
        return Status::Unavailable(last.message() + " (for " +
                                   std::to_string(config_.command_timeout_ms) + " ms)");
      }
      return Status::DeadlineExceeded("redis " + name + ": no answer within " +
                                      std::to_string(config_.command_timeout_ms) + " ms");
    }
    RedisEndpoint node;
    const bool asking = ask_target.has_value();
    if (asking) {
      node = *ask_target;
      ask_target.reset();
    } else {
      std::optional<RedisEndpoint> owner;
      {
        MutexLock lock(&mu_);
        if (map_.owner[slot] >= 0) owner = map_.masters[map_.owner[slot]];
      }
      if (!owner) {
        last = Status::Unavailable("redis " + name + ": no master serves slot " +
                                   std::to_string(slot));
        RefreshIfDue(deadline);
        PauseBefore(deadline);
        continue;
      }
      node = *owner;
    }
    Attempt attempt = TryOn(node, argv, script, asking, fence, deadline);
    switch (attempt.kind) {
      case Attempt::Kind::kReply:
        return std::move(attempt.reply);
      case Attempt::Kind::kFailed:
        if (attempt.status.code() == StatusCode::kDeadlineExceeded) {
          // A silent node (paused, cut off) refuses nothing and spent this
          // call's time: the next call reads the map first, on its own time.
          MutexLock lock(&mu_);
          map_suspect_ = true;
        }
        return attempt.status;
      case Attempt::Kind::kBroken:
        RefreshIfDue(deadline);  // a failed master: the next call finds its successor
        return attempt.status;
      case Attempt::Kind::kMoved:
      case Attempt::Kind::kAsk: {
        if (++redirects > kRedisClusterMaxRedirects) {
          return Status::Unavailable("redis " + name + ": more than " +
                                     std::to_string(kRedisClusterMaxRedirects) +
                                     " redirects; last: " + attempt.status.message());
        }
        MutexLock lock(&mu_);
        if (attempt.kind == Attempt::Kind::kMoved) {
          map_.owner[slot] = map_.AddMaster(attempt.target);
          ++stats_.moved;
        } else {
          ask_target = attempt.target;  // this call only: the map stays
          ++stats_.asked;
        }
        break;
      }
      case Attempt::Kind::kRetry:
      case Attempt::Kind::kUnreachable:
        last = attempt.status;
        RefreshIfDue(deadline);
        PauseBefore(deadline);
        break;
    }
  }
}

Status RedisClusterClient::RefreshBefore(Clock::time_point deadline) {
  std::vector<RedisEndpoint> candidates;
  {
    MutexLock lock(&mu_);
    candidates = map_.masters;
    candidates.insert(candidates.end(), map_.replicas.begin(), map_.replicas.end());
  }
  const RedisEndpoint seed{config_.host, config_.port};
  if (std::find(candidates.begin(), candidates.end(), seed) == candidates.end()) {
    candidates.push_back(seed);
  }
  std::optional<RedisSlotMap> best;
  Status last = Status::Unavailable("redis cluster: no node to read the slot map from");
  for (size_t i = 0; i < candidates.size(); ++i) {
    const RedisEndpoint& node = candidates[i];
    const int64_t left = MsUntil(deadline);
    if (left <= 0) break;
    // A stalled node (it accepts, never answers) may hold up only its share of
    // the time left, so the nodes after it are still asked.
    const int64_t share =
        std::max(left / static_cast<int64_t>(candidates.size() - i), kMinMapReadMs);
    auto opened = Open(node, std::min(deadline, Clock::now() + milliseconds(share)));
    if (!opened.ok()) {
      last = opened.status();
      if (last.code() == StatusCode::kFailedPrecondition) return last;  // AUTH refused
      continue;
    }
    redisContext* c = *opened;
    Result<RedisSlotMap> map = Status::Unavailable("redis at " + node.ToString() + ": no answer");
    ReplyPtr reply = Exchange(c, {"CLUSTER", "SHARDS"});
    bool slots = reply != nullptr && reply->type == REDIS_REPLY_ERROR &&
                 std::string(reply->str, reply->len).find("nknown") != std::string::npos;
    if (slots) reply = Exchange(c, {"CLUSTER", "SLOTS"});  // before Redis 7
    if (reply == nullptr) {
      map = Status::Unavailable("redis at " + node.ToString() + ": " + c->errstr);
    } else if (reply->type == REDIS_REPLY_ERROR) {
      const std::string text(reply->str, reply->len);
      if (text.find("cluster support disabled") != std::string::npos) {
        redisFree(c);
        return Status::FailedPrecondition(
            "redis at " + node.ToString() +
            " is not a Redis Cluster node (redis.mode is cluster): " + text);
      }
      map = Status::Unavailable("redis at " + node.ToString() + ": " + text);
    } else {
      map = slots ? ParseClusterSlots(ConvertReply(reply.get()), node.host)
                  : ParseClusterShards(ConvertReply(reply.get()), node.host);
    }
    redisFree(c);
    if (!map.ok()) {
      last = map.status();
      continue;
    }
    if (!best || map->CoveredSlots() > best->CoveredSlots()) best = std::move(*map);
    if (best->CoveredSlots() == kRedisClusterSlots) break;
  }
  if (!best || best->CoveredSlots() == 0) return last;
  MutexLock lock(&mu_);
  map_ = std::move(*best);
  map_suspect_ = false;
  last_refresh_ = Clock::now();
  ++stats_.refreshes;
  return Status::Ok();
}

void RedisClusterClient::RefreshIfDue(Clock::time_point deadline) {
  {
    MutexLock lock(&mu_);
    if (refreshing_ || Clock::now() - last_refresh_ < kRedisClusterRefreshInterval) return;
    refreshing_ = true;
    last_refresh_ = Clock::now();  // a failed refresh waits its turn too
  }
  (void)RefreshBefore(deadline);  // the call that asked goes on with what it finds
  MutexLock lock(&mu_);
  refreshing_ = false;
}

Status RedisClusterClient::Refresh() {
  return RefreshBefore(Clock::now() + milliseconds(config_.command_timeout_ms));
}

Result<RedisReply> RedisClusterClient::Command(const std::vector<std::string>& argv) {
  if (argv.size() < 2) {
    return Status::InvalidArgument("redis " + (argv.empty() ? std::string("command") : argv[0]) +
                                   ": a keyed command needs its key as argv[1]");
  }
  return Route({argv[1]}, argv, nullptr);
}

Result<RedisReply> RedisClusterClient::KeyedCommand(const std::vector<std::string>& keys,
                                                    const std::vector<std::string>& argv) {
  if (argv.empty()) return Status::InvalidArgument("redis: an empty command");
  return Route(keys, argv, nullptr);
}

Result<RedisReply> RedisClusterClient::Eval(const RedisScript& script,
                                            const std::vector<std::string>& keys,
                                            const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"EVALSHA", "", std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return Route(keys, argv, &script);
}

Result<RedisReply> RedisClusterClient::EvalReplicated(const RedisScript& script,
                                                      const std::vector<std::string>& keys,
                                                      const std::vector<std::string>& args) {
  if (config_.replica_acks <= 0 || keys.empty()) return Eval(script, keys, args);
  // A key of the call's slot: `{tag}` has the slot of the tag, or of the
  // whole key when it has none.
  const std::string_view tag = RedisHashTag(keys.front());
  const std::string fence =
      "wl:replicated:{" + std::string(tag.empty() ? std::string_view(keys.front()) : tag) + "}";
  if (RedisKeySlot(fence) != RedisKeySlot(keys.front())) {
    return Status::InvalidArgument("redis script " + script.name + ": key '" + keys.front() +
                                   "' has no hash tag a replication fence can share");
  }
  std::vector<std::string> argv = {"EVALSHA", "", std::to_string(keys.size())};
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return Route(keys, argv, &script, &fence);
}

Status RedisClusterClient::AwaitReplicas(redisContext* c, const std::string& fence,
                                         Clock::time_point deadline, bool* io_ok) {
  *io_ok = false;
  ReplyPtr fenced = Exchange(c, {"INCR", fence});
  if (fenced == nullptr) return Status::Unavailable(std::string("replication fence: ") + c->errstr);
  if (fenced->type == REDIS_REPLY_ERROR) {
    *io_ok = true;
    return Status::Unavailable("replication fence " + fence + ": " +
                               std::string(fenced->str, fenced->len));
  }
  const int64_t wait_ms =
      std::max<int64_t>(1, std::min<int64_t>(config_.replica_ack_timeout_ms, MsUntil(deadline)));
  ReplyPtr acked =
      Exchange(c, {"WAIT", std::to_string(config_.replica_acks), std::to_string(wait_ms)});
  if (acked == nullptr) return Status::Unavailable(std::string("WAIT: ") + c->errstr);
  *io_ok = true;
  if (acked->type == REDIS_REPLY_INTEGER && acked->integer >= config_.replica_acks) {
    return Status::Ok();
  }
  const int64_t acks = acked->type == REDIS_REPLY_INTEGER ? acked->integer : 0;
  // ROLE of a master: ["master", offset, [[host, port, offset], ...]].
  ReplyPtr role = Exchange(c, {"ROLE"});
  if (role == nullptr) {
    *io_ok = false;
    return Status::Unavailable(std::string("ROLE: ") + c->errstr);
  }
  const bool alone = role->type == REDIS_REPLY_ARRAY && role->elements >= 3 &&
                     role->element[2]->type == REDIS_REPLY_ARRAY && role->element[2]->elements == 0;
  if (alone) {
    MutexLock lock(&mu_);
    ++stats_.unreplicated;
    return Status::Ok();
  }
  return Status::Unavailable("acknowledged by " + std::to_string(acks) + " of " +
                             std::to_string(config_.replica_acks) + " replicas within " +
                             std::to_string(wait_ms) +
                             " ms: a failover could undo it (the script ran on the master)");
}

Result<RedisReply> RedisClusterClient::OnNode(const RedisEndpoint& node,
                                              const std::vector<std::string>& argv,
                                              Clock::time_point deadline) {
  Attempt attempt = TryOn(node, argv, nullptr, /*asking=*/false, nullptr, deadline);
  if (attempt.kind == Attempt::Kind::kReply) return std::move(attempt.reply);
  return attempt.status;
}

Result<std::vector<RedisEndpoint>> RedisClusterClient::ServingMasters(Clock::time_point deadline) {
  if (Status s = RefreshBefore(deadline); !s.ok()) return s;
  MutexLock lock(&mu_);
  const int covered = map_.CoveredSlots();
  if (covered != kRedisClusterSlots) {
    return Status::Unavailable("redis cluster: " + std::to_string(kRedisClusterSlots - covered) +
                               " slots have no master");
  }
  std::vector<bool> serving(map_.masters.size(), false);
  for (const int owner : map_.owner) serving[owner] = true;
  std::vector<RedisEndpoint> masters;
  for (size_t i = 0; i < map_.masters.size(); ++i) {
    if (serving[i]) masters.push_back(map_.masters[i]);
  }
  return masters;
}

Status RedisClusterClient::Ping() {
  const Clock::time_point deadline = Clock::now() + milliseconds(config_.command_timeout_ms);
  auto masters = ServingMasters(deadline);
  if (!masters.ok()) return masters.status();
  for (const RedisEndpoint& master : *masters) {
    auto pong = OnNode(master, {"PING"}, deadline);
    if (!pong.ok()) return pong.status();
    if (pong->text != "PONG") {
      return Status::Internal("redis at " + master.ToString() + ": PING answered " + pong->text);
    }
  }
  return Status::Ok();
}

Result<std::vector<std::string>> RedisClusterClient::ScanKeys(const std::string& pattern) {
  auto masters = ServingMasters(Clock::now() + milliseconds(config_.command_timeout_ms));
  if (!masters.ok()) return masters.status();
  std::vector<std::string> keys;
  for (const RedisEndpoint& master : *masters) {
    auto page = [&](const std::vector<std::string>& argv) {
      return OnNode(master, argv, Clock::now() + milliseconds(config_.command_timeout_ms));
    };
    if (Status s = ScanInto(page, pattern, &keys); !s.ok()) return s;
  }
  return keys;
}

Result<RedisEndpoint> RedisClusterClient::MasterOf(int slot) {
  MutexLock lock(&mu_);
  if (slot < 0 || slot >= kRedisClusterSlots || map_.owner[slot] < 0) {
    return Status::NotFound("redis cluster: no master serves slot " + std::to_string(slot));
  }
  return map_.masters[map_.owner[slot]];
}

RedisClusterStats RedisClusterClient::stats() {
  MutexLock lock(&mu_);
  return stats_;
}

}  // namespace wanderluxe
