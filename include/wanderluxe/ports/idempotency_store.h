// Port: the gateway's Idempotency-Key records (ARCHITECTURE §4.1, §5 `idem:`).
// A key is claimed atomically (one claimant wins), then either completed with
// the response to replay, or released when the publish failed.
//
// Thread safety: every call may run concurrently from any number of threads
// (the gateway's request threads share one store), also for the same key: the
// store, not the caller, decides which claimant wins. RedisIdempotencyStore
// holds no state of its own; each call is one Lua script (atomic in Redis) over
// the RedisClient's thread-safe connection pool.
#ifndef WANDERLUXE_PORTS_IDEMPOTENCY_STORE_H_
#define WANDERLUXE_PORTS_IDEMPOTENCY_STORE_H_

#include <chrono>
#include <string>

#include "wanderluxe/status.h"

namespace wanderluxe {

struct IdempotencyClaim {
  enum class State {
    kClaimed,   // ours now: go ahead and publish
    kInFlight,  // another request holds it and has not finished
    kDone,      // finished earlier: `response` is what it answered
  };
  State state = State::kClaimed;
  std::string fingerprint;  // of the request that holds or held the key
  std::string response;     // stored response body, when kDone
};

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // Claims `key` for a request with `fingerprint`, identified by `token`, unless
  // a record exists; then returns that record untouched.
  virtual Result<IdempotencyClaim> Claim(const std::string& key, const std::string& fingerprint,
                                         const std::string& token,
                                         std::chrono::milliseconds in_flight_ttl) = 0;
  // Stores the response; only the claimant (`token`) can complete its claim.
  virtual Status Complete(const std::string& key, const std::string& token,
                          const std::string& response, std::chrono::milliseconds done_ttl) = 0;
  // Drops an unfinished claim so the client may retry; only the claimant can.
  virtual Status Release(const std::string& key, const std::string& token) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_IDEMPOTENCY_STORE_H_
