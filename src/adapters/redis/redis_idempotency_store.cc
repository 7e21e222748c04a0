#include "adapters/redis/redis_idempotency_store.h"

#include "wanderluxe/booking_event.h"

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
)",
                         /*mergeable=*/true};

// KEYS[1] idem key, KEYS[2] accepted key; ARGV token, response, ttl ms,
// accepted JSON. The event is durable whoever holds the claim, so the accepted
// record is written first and only if absent (the first acceptance stays).
// 1 when completed, 0 when the claim is not ours.
const RedisScript kComplete{"idem-complete", R"(
redis.call('SET', KEYS[2], ARGV[4], 'PX', ARGV[3], 'NX')
if redis.call('HGET', KEYS[1], 'token') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'state', 'done', 'response', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1
)",
                            /*mergeable=*/true};

// KEYS[1]; ARGV token. Deletes only our own unfinished claim.
const RedisScript kRelease{"idem-release", R"(
if redis.call('HGET', KEYS[1], 'token') == ARGV[1]
   and redis.call('HGET', KEYS[1], 'state') == 'inflight' then
  return redis.call('DEL', KEYS[1])
end
return 0
)",
                           /*mergeable=*/true};

// The claim script's reply: {"claimed"}, or the existing record.
Result<IdempotencyClaim> ToClaim(Result<RedisReply> reply) {
  if (!reply.ok()) return reply.status();
  const auto& e = reply->elements;
  if (e.size() == 1 && e[0].text == "claimed") return IdempotencyClaim{};
  if (e.size() != 3) return Status::Internal("idempotency claim: unexpected reply shape");
  IdempotencyClaim claim;
  claim.state =
      e[0].text == "done" ? IdempotencyClaim::State::kDone : IdempotencyClaim::State::kInFlight;
  claim.fingerprint = e[1].text;
  claim.response = e[2].text;
  return claim;
}

std::vector<std::string> ClaimArgs(const std::string& fingerprint, const std::string& token,
                                   std::chrono::milliseconds in_flight_ttl) {
  return {fingerprint, token, std::to_string(in_flight_ttl.count())};
}

}  // namespace

void RedisIdempotencyStore::ClaimAsync(const std::string& key, const std::string& fingerprint,
                                       const std::string& token,
                                       std::chrono::milliseconds in_flight_ttl,
                                       ClaimCallback done) {
  pipeline_.Eval(
      kClaim, {RedisKey(key)}, ClaimArgs(fingerprint, token, in_flight_ttl),
      [done = std::move(done)](Result<RedisReply> reply) { done(ToClaim(std::move(reply))); });
}

Result<IdempotencyClaim> RedisIdempotencyStore::Claim(const std::string& key,
                                                      const std::string& fingerprint,
                                                      const std::string& token,
                                                      std::chrono::milliseconds in_flight_ttl) {
  return ToClaim(
      redis_.Eval(kClaim, {RedisKey(key)}, ClaimArgs(fingerprint, token, in_flight_ttl)));
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
  pipeline_.Eval(
      kComplete, {RedisKey(key), AcceptedKey(accepted.request.booking_id)},
      {token, response, std::to_string(done_ttl.count()), EncodeBookingEvent(event)},
      [key, done = std::move(done)](Result<RedisReply> reply) {
        if (!reply.ok()) return done(reply.status());
        if (reply->integer != 1) {
          return done(Status::FailedPrecondition("idempotency key " + key + " is no longer ours"));
        }
        done(Status::Ok());
      });
}

void RedisIdempotencyStore::ReleaseAsync(const std::string& key, const std::string& token,
                                         StoreCallback done) {
  pipeline_.Eval(kRelease, {RedisKey(key)}, {token},
                 [done = std::move(done)](Result<RedisReply> reply) {
                   done(reply.ok() ? Status::Ok() : reply.status());
                 });
}

Result<std::optional<AcceptedBooking>> RedisIdempotencyStore::FindAccepted(
    const std::string& booking_id) {
  auto reply = redis_.Command({"GET", AcceptedKey(booking_id)});
  if (!reply.ok()) return reply.status();
  if (reply->is_nil()) return std::optional<AcceptedBooking>();
  auto event = DecodeBookingEvent(reply->text);
  if (!event.ok()) {
    return Status::Internal("accepted record of " + booking_id + ": " + event.status().message());
  }
  return std::optional<AcceptedBooking>(
      AcceptedBooking{std::move(event->request), std::move(event->event_id),
                      std::move(event->timestamp), std::move(event->metadata.client_id)});
}

}  // namespace wanderluxe
