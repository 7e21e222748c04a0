#include "adapters/redis/redis_idempotency_store.h"

#include <string_view>

#include "wanderluxe/booking_event.h"

namespace wanderluxe {
namespace {

// The record `idem:<key>` is one string: state ("inflight" | "done"), claim
// token, stored response and fingerprint, joined by kFieldSeparator. Only the
// last field may hold any byte (the fingerprint joins its own fields with
// 0x1F): the token is hex and the response JSON, where a raw control
// character is never valid. A string, not a hash, so that the claim is a
// native command, SET NX GET (Redis 7.0), rather than a script: under
// `appendfsync always` a script call costs Redis several times the CPU of
// the command (DESIGN.md "The idempotency record").
constexpr char kFieldSeparator = '\x1e';
constexpr std::string_view kInFlight = "inflight";

// KEYS[1] idem key, KEYS[2] its mark, KEYS[3] accepted key; ARGV token,
// response, ttl ms, accepted JSON. The event is durable whoever holds the
// claim, so the accepted record is written first and only if absent (the
// first acceptance stays). Without KEYS[3] (a cluster: the accepted key is in
// another slot) the caller has written it already, with AcceptCommand.
// 1 when completed, 0 when the claim is not ours.
const RedisScript kComplete{"idem-complete", R"(
if KEYS[3] then redis.call('SET', KEYS[3], ARGV[4], 'PX', ARGV[3], 'NX') end
local record = redis.call('GET', KEYS[1])
if not record then return 0 end
local state, token, response, fp = string.match(record, '^([^\30]*)\30([^\30]*)\30([^\30]*)\30(.*)$')
if token ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], 'done\30' .. token .. '\30' .. ARGV[2] .. '\30' .. fp, 'PX', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
)",
                            /*mergeable=*/true};

// KEYS[1] idem key, KEYS[2] its mark; ARGV token. Deletes only our own
// unfinished claim, and our own mark (we were the only attempt); 1 when the
// key is marked by another attempt or as unknown, else 0.
const RedisScript kDropClaim{"idem-release-marked", R"(
local record = redis.call('GET', KEYS[1])
if record then
  local state, token = string.match(record, '^([^\30]*)\30([^\30]*)\30')
  if state == 'inflight' and token == ARGV[1] then redis.call('DEL', KEYS[1]) end
end
local mark = redis.call('GET', KEYS[2])
if mark == ARGV[1] then
  redis.call('DEL', KEYS[2])
  return 0
end
if mark then return 1 end
return 0
)",
                             /*mergeable=*/true};

// What kComplete does to KEYS[2], as one command of its own.
std::vector<std::string> AcceptCommand(const std::string& accepted_key, std::string accepted,
                                       std::chrono::milliseconds done_ttl) {
  return {"SET", accepted_key, std::move(accepted), "PX", std::to_string(done_ttl.count()), "NX"};
}

// The hash tag that keeps the keys of one Idempotency-Key in one slot: the
// key in braces. A key that starts with '}' would leave the tag empty (Redis
// then hashes each whole key, and the keys would part), so it gets a '\'
// first, and so does one that starts with '\', which keeps the naming
// one-to-one.
std::string IdempotencyTag(const RedisConfig& config, const std::string& key) {
  if (!IsRedisCluster(config)) return key;
  const bool escaped = !key.empty() && (key.front() == '}' || key.front() == '\\');
  return "{" + std::string(escaped ? "\\" : "") + key + "}";
}

std::vector<std::string> ClaimCommand(const RedisConfig& config, const std::string& key,
                                      const std::string& fingerprint, const std::string& token,
                                      std::chrono::milliseconds in_flight_ttl) {
  std::string record(kInFlight);
  record += kFieldSeparator;
  record += token;
  record += kFieldSeparator;  // no response yet
  record += kFieldSeparator;
  record += fingerprint;
  return {"SET",
          RedisIdempotencyStore::RedisKey(config, key),
          std::move(record),
          "NX",
          "PX",
          std::to_string(in_flight_ttl.count()),
          "GET"};
}

// The key's mark `idem-unknown:<key>`: the token of the only attempt under the
// key so far, or "1" once a second attempt came, or a publish's outcome was
// unknown. Only the sole attempt's own drop or completion takes its mark
// back; "1" goes only when it expires.
//
// KEYS[1] the mark; ARGV token (empty: mark unknown), ttl ms. Marks a key
// just claimed with its token unless an earlier attempt marked it; then, or
// without a token, marks it unknown. Run replicated (EvalReplicated): a
// failover that forgot a mark would let a later attempt answer 503 while an
// earlier copy is on the topic. 1 when the token is the mark, else 0.
const RedisScript kMark{"idem-mark", R"(
if ARGV[1] ~= '' and redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
return 0
)",
                        /*mergeable=*/true};

// SET NX GET's reply: nil when the claim is ours, else the record there.
Result<IdempotencyClaim> ToClaim(const RedisReply& reply) {
  if (reply.is_nil()) return IdempotencyClaim{};
  std::string_view rest = reply.text;
  std::string_view fields[3];  // state, token, response; the fingerprint is the rest
  for (std::string_view& field : fields) {
    const size_t end = rest.find(kFieldSeparator);
    if (end == std::string_view::npos) return Status::Internal("idempotency record: unreadable");
    field = rest.substr(0, end);
    rest.remove_prefix(end + 1);
  }
  IdempotencyClaim claim;
  claim.state =
      fields[0] == "done" ? IdempotencyClaim::State::kDone : IdempotencyClaim::State::kInFlight;
  claim.response = std::string(fields[2]);
  claim.fingerprint = std::string(rest);
  return claim;
}

}  // namespace

std::string RedisIdempotencyStore::RedisKey(const RedisConfig& config, const std::string& key) {
  return "idem:" + IdempotencyTag(config, key);
}

std::string RedisIdempotencyStore::UnknownKey(const RedisConfig& config, const std::string& key) {
  return "idem-unknown:" + IdempotencyTag(config, key);
}

std::string RedisIdempotencyStore::AcceptedKey(const RedisConfig& config,
                                               const std::string& booking_id) {
  return "accepted:" + TaggedId(config.property_tag, booking_id);
}

void RedisIdempotencyStore::ClaimAsync(const std::string& key, const std::string& fingerprint,
                                       const std::string& token,
                                       std::chrono::milliseconds in_flight_ttl,
                                       std::chrono::milliseconds done_ttl, ClaimCallback done) {
  // A claim answered kClaimed is marked before it is answered.
  auto marked = [&async = async_, key, token, done_ttl](Result<IdempotencyClaim> claim,
                                                        ClaimCallback done) {
    if (!claim.ok() || claim->state != IdempotencyClaim::State::kClaimed) return done(claim);
    async.EvalReplicated(kMark, {UnknownKey(async.config(), key)},
                         {token, std::to_string(done_ttl.count())},
                         [claim = *claim, done = std::move(done)](Result<RedisReply> marked) {
                           if (!marked.ok()) return done(marked.status());
                           done(claim);
                         });
  };
  async_.Command(ClaimCommand(config(), key, fingerprint, token, in_flight_ttl),
                 [marked, done = std::move(done)](Result<RedisReply> reply) mutable {
                   if (!reply.ok()) return done(reply.status());
                   marked(ToClaim(*reply), std::move(done));
                 });
}

void RedisIdempotencyStore::CompleteAsync(const std::string& key, const std::string& token,
                                          const std::string& response,
                                          const AcceptedBooking& accepted,
                                          std::chrono::milliseconds done_ttl, StoreCallback done) {
  // Stored as the booking event without its metadata: one exact, versioned
  // codec for what the gateway accepted, wherever it is read back.
  BookingEvent event;
  event.event_id = accepted.event_id;
  event.timestamp = accepted.accepted_at;
  event.request = accepted.request;
  event.metadata.client_id = accepted.client_id;
  // kComplete's reply as the caller's answer.
  RedisCallback answer = [key, done = std::move(done)](Result<RedisReply> reply) {
    if (!reply.ok()) return done(reply.status());
    if (reply->integer != 1) {
      return done(Status::FailedPrecondition("idempotency key " + key + " is no longer ours"));
    }
    done(Status::Ok());
  };
  const std::string idem_key = RedisKey(config(), key);
  const std::string mark_key = UnknownKey(config(), key);
  const std::string accepted_key = AcceptedKey(config(), accepted.request.booking_id);
  const std::string ttl = std::to_string(done_ttl.count());
  if (!IsRedisCluster(config())) {
    return async_.Eval(kComplete, {idem_key, mark_key, accepted_key},
                       {token, response, ttl, EncodeBookingEvent(event)}, std::move(answer));
  }
  // Another slot: the accepted record first, then the script on the
  // idempotency key and its mark (one slot) alone.
  async_.Command(
      AcceptCommand(accepted_key, EncodeBookingEvent(event), done_ttl),
      [&async = async_, idem_key, mark_key, args = std::vector<std::string>{token, response, ttl},
       answer = std::move(answer)](Result<RedisReply> written) mutable {
        if (!written.ok()) return answer(written.status());
        async.Eval(kComplete, {idem_key, mark_key}, args, std::move(answer));
      });
}

void RedisIdempotencyStore::DropClaimAsync(const std::string& key, const std::string& token,
                                           DropClaimCallback done) {
  async_.Eval(kDropClaim, {RedisKey(config(), key), UnknownKey(config(), key)}, {token},
              [done = std::move(done)](Result<RedisReply> reply) {
                if (!reply.ok()) return done(reply.status());
                done(reply->integer == 1);
              });
}

void RedisIdempotencyStore::MarkUnknownAsync(const std::string& key, std::chrono::milliseconds ttl,
                                             StoreCallback done) {
  async_.EvalReplicated(kMark, {UnknownKey(config(), key)}, {"", std::to_string(ttl.count())},
                        [done = std::move(done)](Result<RedisReply> reply) {
                          done(reply.ok() ? Status::Ok() : reply.status());
                        });
}

Result<std::optional<AcceptedBooking>> RedisIdempotencyStore::FindAccepted(
    const std::string& booking_id) {
  auto reply = redis_.Command({"GET", AcceptedKey(config(), booking_id)});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<AcceptedBooking>();
  auto accepted = DecodeAccepted(booking_id, reply->text);
  if (!accepted.ok()) return accepted.status();
  return std::optional<AcceptedBooking>(std::move(*accepted));
}

Result<AcceptedBooking> RedisIdempotencyStore::DecodeAccepted(const std::string& booking_id,
                                                              const std::string& stored) {
  auto event = DecodeBookingEvent(stored);
  if (!event.ok()) {
    return Status::Internal("accepted record of " + booking_id + ": " + event.status().message());
  }
  return AcceptedBooking{std::move(event->request), std::move(event->event_id),
                         std::move(event->timestamp), std::move(event->metadata.client_id)};
}

}  // namespace wanderluxe
