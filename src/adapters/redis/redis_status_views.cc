#include "adapters/redis/redis_status_views.h"

#include "wanderluxe/mutex.h"

#include <charconv>
#include <memory>
#include <string_view>

namespace wanderluxe {
namespace {

// Separates the header's fields and the body. The body is JSON, where a raw
// control character is never valid, and it comes last, so it may hold any
// byte anyway; the clientId is checked for it before a write.
constexpr char kFieldSeparator = '\x1e';

// KEYS[1] the view; ARGV version, stored string, ttl ms. Writes the view
// unless the stored one's version is equal or higher: 1 when written, else 0.
// A stored string whose version cannot be read is replaced (a view is a copy
// of the ledger; a newer one is always right).
const RedisScript kPut{"status-view-put", R"(
local stored = redis.call('GET', KEYS[1])
if stored then
  local version = tonumber(string.match(stored, '^(%d+)\30'))
  if version and version >= tonumber(ARGV[1]) then return 0 end
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1
)"};

std::string Encode(const StatusView& view) {
  std::string out = std::to_string(view.version);
  out += kFieldSeparator;
  out += view.terminal ? '1' : '0';
  out += kFieldSeparator;
  out += view.client_id;
  out += kFieldSeparator;
  out += view.body;
  return out;
}

// The next field of `rest` up to the separator, or nullopt when there is none.
std::optional<std::string_view> NextField(std::string_view& rest) {
  const size_t end = rest.find(kFieldSeparator);
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view field = rest.substr(0, end);
  rest.remove_prefix(end + 1);
  return field;
}

}  // namespace

std::string RedisStatusViews::Key(const RedisConfig& config, const std::string& booking_id) {
  return "status-view:" + TaggedId(config.property_tag, booking_id);
}

Result<StatusView> RedisStatusViews::Decode(const std::string& key, const std::string& booking_id,
                                            const std::string& stored) {
  std::string_view rest = stored;
  const auto version = NextField(rest);
  const auto terminal = NextField(rest);
  const auto client = NextField(rest);
  StatusView view;
  const bool version_read =
      version &&
      std::from_chars(version->data(), version->data() + version->size(), view.version).ec ==
          std::errc() &&
      !version->empty();
  if (!version_read || !terminal || (*terminal != "0" && *terminal != "1") || !client) {
    return Status::Internal("status view " + key + ": unreadable");
  }
  view.booking_id = booking_id;
  view.terminal = *terminal == "1";
  view.client_id = std::string(*client);
  view.body = std::string(rest);
  return view;
}

namespace {

Status Writable(const StatusView& view) {
  if (view.client_id.find(kFieldSeparator) == std::string::npos) return Status::Ok();
  return Status::InvalidArgument("status view of " + view.booking_id +
                                 ": a clientId may not hold 0x1E");
}

std::vector<std::string> PutArgs(const RedisConfig& config, const StatusView& view) {
  return {std::to_string(view.version), Encode(view),
          std::to_string(config.status_view_ttl_s * 1000)};
}

}  // namespace

Status RedisStatusViews::Put(const StatusView& view) {
  if (Status s = Writable(view); !s.ok()) return s;
  const RedisConfig& config = redis_.config();
  auto reply = redis_.EvalReplicated(kPut, {Key(config, view.booking_id)}, PutArgs(config, view));
  return reply.ok() ? Status::Ok() : reply.status();
}

Status RedisStatusViews::PutMany(const std::vector<StatusView>& views) {
  if (async_ == nullptr || views.size() <= 1) return StatusViews::PutMany(views);
  for (const StatusView& view : views) {
    if (Status s = Writable(view); !s.ok()) return s;
  }
  // Shared with the callbacks, which may outlive this call past its bound.
  struct Replies {
    Mutex mu;
    CondVar all_in{&mu};
    size_t left GUARDED_BY(mu) = 0;
    Status first GUARDED_BY(mu) = Status::Ok();
  };
  auto replies = std::make_shared<Replies>();
  {
    MutexLock lock(&replies->mu);
    replies->left = views.size();
  }
  const RedisConfig& config = async_->config();
  for (const StatusView& view : views) {
    async_->EvalReplicated(kPut, {Key(config, view.booking_id)}, PutArgs(config, view),
                           [replies](Result<RedisReply> reply) {
                             MutexLock lock(&replies->mu);
                             if (!reply.ok() && replies->first.ok())
                               replies->first = reply.status();
                             if (--replies->left == 0) replies->all_in.SignalAll();
                           });
  }
  // Every call is answered by its own deadline (a replicated one: twice the
  // command timeout); the bound here only guards against a broken promise.
  const auto bound =
      std::chrono::milliseconds(4 * config.command_timeout_ms + config.replica_ack_timeout_ms);
  MutexLock lock(&replies->mu);
  if (!replies->all_in.WaitFor(bound, [&]() REQUIRES(replies->mu) { return replies->left == 0; })) {
    return Status::DeadlineExceeded("status views: " + std::to_string(replies->left) + " of " +
                                    std::to_string(views.size()) + " puts unanswered");
  }
  return replies->first;
}

Result<std::optional<StatusView>> RedisStatusViews::Get(const std::string& booking_id) {
  const std::string key = Key(redis_.config(), booking_id);
  auto reply = redis_.Command({"GET", key});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<StatusView>();
  auto view = Decode(key, booking_id, reply->text);
  if (!view.ok()) return view.status();
  return std::optional<StatusView>(std::move(*view));
}

}  // namespace wanderluxe
