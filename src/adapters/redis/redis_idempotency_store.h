// IdempotencyStore over Redis: one hash per key (`idem:<key>`) with state,
// fingerprint, claim token and stored response; each step one atomic script.
// Each accepted booking is a string `accepted:<tag>` (RedisConfig::property_tag
// applied to the bookingId) holding a small JSON; Complete writes it in the
// same script as the response, so recording it costs no extra round trip.
// Under Redis Cluster the two keys of Complete hash to different slots: the
// script would have to become two commands, the accepted record first.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_IDEMPOTENCY_STORE_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_IDEMPOTENCY_STORE_H_

#include "adapters/redis/redis_client.h"
#include "wanderluxe/ports/idempotency_store.h"

namespace wanderluxe {

class RedisIdempotencyStore final : public IdempotencyStore {
 public:
  explicit RedisIdempotencyStore(RedisClient& redis) : redis_(redis) {}

  Result<IdempotencyClaim> Claim(const std::string& key, const std::string& fingerprint,
                                 const std::string& token,
                                 std::chrono::milliseconds in_flight_ttl) override;
  Status Complete(const std::string& key, const std::string& token, const std::string& response,
                  const AcceptedBooking& accepted, std::chrono::milliseconds done_ttl) override;
  Status Release(const std::string& key, const std::string& token) override;
  Result<std::optional<AcceptedBooking>> FindAccepted(const std::string& booking_id) override;

  static std::string RedisKey(const std::string& key) { return "idem:" + key; }
  std::string AcceptedKey(const std::string& booking_id) const {
    return "accepted:" + TaggedId(redis_.config().property_tag, booking_id);
  }

 private:
  RedisClient& redis_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_IDEMPOTENCY_STORE_H_
