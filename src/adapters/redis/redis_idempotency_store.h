// IdempotencyStore over Redis: one string per key (`idem:<key>`) with state,
// fingerprint, claim token and stored response. The claim is one native
// command (SET NX GET); completing and dropping a claim check the token, each in one
// atomic script.
// Each accepted booking is a string `accepted:<tag>` (RedisConfig::property_tag
// applied to the bookingId) holding a small JSON; Complete writes it in the
// same script as the response, so recording it costs no extra round trip.
// A key whose publish had an unknown outcome is marked by a string
// `idem-unknown:<key>`, kept as long as a done record; DropClaim reads it in
// its script, so the mark costs a round trip only on that rare path.
// On a Redis Cluster (redis.mode cluster) every key of one Idempotency-Key
// carries it as a hash tag, `idem:{<key>}` and `idem-unknown:{<key>}`, so
// the claim, its drop (both keys in one script) and the mark of one
// request are in one slot; with one server the names are as above, untagged.
// The accepted record is tagged by its bookingId and so lives in another
// slot: there Complete is two steps, the accepted record first (SET NX, as
// the script does it), then the script on the idempotency key alone. A
// FindAccepted racing it still sees no record or the whole one; a failure
// between the steps leaves the accepted record and the claim in flight, as a
// completion that was never answered would.
// The asynchronous calls go over RedisAsyncCommands (a RedisPipeline, or
// RedisWorkers on a cluster), the synchronous one (FindAccepted) over
// RedisCommands.
//
// Thread safety: the store holds no state of its own (idempotency_store.h
// has the contract).
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_IDEMPOTENCY_STORE_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_IDEMPOTENCY_STORE_H_

#include <memory>

#include "adapters/redis/redis_commands.h"
#include "wanderluxe/ports/idempotency_store.h"

namespace wanderluxe {

class RedisIdempotencyStore final : public IdempotencyStore {
 public:
  // Both must outlive the store.
  RedisIdempotencyStore(RedisCommands& redis, RedisAsyncCommands& async)
      : redis_(redis), async_(async) {}

  void ClaimAsync(const std::string& key, const std::string& fingerprint, const std::string& token,
                  std::chrono::milliseconds in_flight_ttl, std::chrono::milliseconds done_ttl,
                  ClaimCallback done) override;
  void CompleteAsync(const std::string& key, const std::string& token, const std::string& response,
                     const AcceptedBooking& accepted, std::chrono::milliseconds done_ttl,
                     StoreCallback done) override;
  void DropClaimAsync(const std::string& key, const std::string& token,
                      DropClaimCallback done) override;
  void MarkUnknownAsync(const std::string& key, std::chrono::milliseconds ttl,
                        StoreCallback done) override;
  Result<std::optional<AcceptedBooking>> FindAccepted(const std::string& booking_id) override;

  // The keys under `config` (its mode and property_tag).
  static std::string RedisKey(const RedisConfig& config, const std::string& key);
  static std::string UnknownKey(const RedisConfig& config, const std::string& key);
  static std::string AcceptedKey(const RedisConfig& config, const std::string& booking_id);
  // The accepted record of `booking_id` as stored under AcceptedKey.
  static Result<AcceptedBooking> DecodeAccepted(const std::string& booking_id,
                                                const std::string& stored);

 private:
  const RedisConfig& config() const { return redis_.config(); }

  RedisCommands& redis_;
  RedisAsyncCommands& async_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_IDEMPOTENCY_STORE_H_
