#include "adapters/redis/redis_idempotency_store.h"

namespace wanderluxe {
namespace {

// KEYS[1] idem key; ARGV fingerprint, token, ttl ms.
// Returns {"claimed"} or {state, fingerprint, response} of the existing record.
const RedisScript kClaim{"idem-claim", R"(
local existing = redis.call('HMGET', KEYS[1], 'state', 'fp', 'response')
if existing[1] then return existing end
redis.call('HSET', KEYS[1], 'state', 'inflight', 'fp', ARGV[1], 'token', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return {'claimed'}
)"};

// KEYS[1]; ARGV token, response, ttl ms. 1 when completed, 0 when not ours.
const RedisScript kComplete{"idem-complete", R"(
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'response', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
)"};

// KEYS[1]; ARGV token. Deletes only our own unfinished claim.
const RedisScript kRelease{"idem-release", R"(
if redis.call('HGET', KEYS[1], 'token') == ARGV[1]
   and redis.call('HGET', KEYS[1], 'state') == 'inflight' then
  return redis.call('DEL', KEYS[1])
end
return 0
)"};

}  // namespace

Result<IdempotencyClaim> RedisIdempotencyStore::Claim(const std::string& key,
                                                      const std::string& fingerprint,
                                                      const std::string& token,
                                                      std::chrono::milliseconds in_flight_ttl) {
  auto reply = redis_.Eval(kClaim, {RedisKey(key)},
                           {fingerprint, token, std::to_string(in_flight_ttl.count())});
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  if (e.size() == 1 && e[0].text == "claimed") return IdempotencyClaim{};
  if (e.size() != 3) return Status::Internal("idempotency claim: unexpected reply shape");
  IdempotencyClaim claim;
  claim.state = e[0].text == "done" ? IdempotencyClaim::State::kDone
                                    : IdempotencyClaim::State::kInFlight;
  claim.fingerprint = e[1].text;
  claim.response = e[2].text;
  return claim;
}

Status RedisIdempotencyStore::Complete(const std::string& key, const std::string& token,
                                       const std::string& response,
                                       std::chrono::milliseconds done_ttl) {
  auto reply = redis_.Eval(kComplete, {RedisKey(key)},
                           {token, response, std::to_string(done_ttl.count())});
  if (!reply.ok()) return reply.status();
  if (reply->integer != 1) {
    return Status::FailedPrecondition("idempotency key " + key + " is no longer ours");
  }
  return Status::Ok();
}

Status RedisIdempotencyStore::Release(const std::string& key, const std::string& token) {
  auto reply = redis_.Eval(kRelease, {RedisKey(key)}, {token});
  return reply.ok() ? Status::Ok() : reply.status();
}

}  // namespace wanderluxe
