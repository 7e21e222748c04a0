// IdempotencyStore over Redis: one string per key (`idem:<key>`) with state,
// fingerprint, claim token and stored response. The claim is one native
// command (SET NX GET); completing and releasing check the token, each in one
// atomic script. A record of an older gateway (a hash) is still read.
// Each accepted booking is a string `accepted:<tag>` (RedisConfig::property_tag
// applied to the bookingId) holding a small JSON; Complete writes it in the
// same script as the response, so recording it costs no extra round trip.
// A key whose publish had an unknown outcome is marked by a string
// `idem-unknown:<key>`, kept as long as a done record; Release reads it in
// its script, so the mark costs a round trip only on that rare path.
// Under Redis Cluster the two keys of Complete (and of Release) hash to
// different slots: each script would have to become two commands, the
// accepted record (the mark) first.
// The asynchronous calls go over a RedisPipeline, the synchronous ones
// (Claim, FindAccepted) over RedisClient's pool; both send the same commands.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_IDEMPOTENCY_STORE_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_IDEMPOTENCY_STORE_H_

#include <memory>

#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_pipeline.h"
#include "wanderluxe/ports/idempotency_store.h"

namespace wanderluxe {

class RedisIdempotencyStore final : public IdempotencyStore {
 public:
  // Both must outlive the store.
  RedisIdempotencyStore(RedisClient& redis, RedisPipeline& pipeline)
      : redis_(redis), pipeline_(pipeline) {}

  void ClaimAsync(const std::string& key, const std::string& fingerprint, const std::string& token,
                  std::chrono::milliseconds in_flight_ttl, ClaimCallback done) override;
  void CompleteAsync(const std::string& key, const std::string& token, const std::string& response,
                     const AcceptedBooking& accepted, std::chrono::milliseconds done_ttl,
                     StoreCallback done) override;
  void ReleaseAsync(const std::string& key, const std::string& token,
                    ReleaseCallback done) override;
  void MarkUnknownAsync(const std::string& key, std::chrono::milliseconds ttl,
                        StoreCallback done) override;
  Result<IdempotencyClaim> Claim(const std::string& key, const std::string& fingerprint,
                                 const std::string& token,
                                 std::chrono::milliseconds in_flight_ttl) override;
  Result<std::optional<AcceptedBooking>> FindAccepted(const std::string& booking_id) override;

  static std::string RedisKey(const std::string& key) { return "idem:" + key; }
  static std::string UnknownKey(const std::string& key) { return "idem-unknown:" + key; }
  std::string AcceptedKey(const std::string& booking_id) const {
    return "accepted:" + TaggedId(redis_.config().property_tag, booking_id);
  }

 private:
  RedisClient& redis_;
  RedisPipeline& pipeline_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_IDEMPOTENCY_STORE_H_
