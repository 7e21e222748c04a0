// IdempotencyStore over Redis: one hash per key (`idem:<key>`) with state,
// fingerprint, claim token and stored response; each step one atomic script.
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
                  std::chrono::milliseconds done_ttl) override;
  Status Release(const std::string& key, const std::string& token) override;

  static std::string RedisKey(const std::string& key) { return "idem:" + key; }

 private:
  RedisClient& redis_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_IDEMPOTENCY_STORE_H_
