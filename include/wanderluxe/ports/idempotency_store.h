// Port: the gateway's Idempotency-Key records (ARCHITECTURE §4.1, §5 `idem:`),
// and the record of each booking the gateway accepted, so that GET can answer
// ACCEPTED before the processor has written the booking to the ledger (§4.3).
// A key is claimed atomically (one claimant wins), then either completed with
// the response to replay, or released when the publish failed.
//
// Thread safety: every call may run concurrently with any other call, on the
// same key or booking or on different ones, from any thread (the gateway's
// HTTP workers share one store). Each call is atomic on its own: of racing
// Claims of one key exactly one returns kClaimed; Complete writes the key's
// record and the accepted booking together, so a FindAccepted racing it sees
// either no record or the whole one. Nothing is atomic across calls.
// RedisIdempotencyStore holds no state of its own: each call is one Lua
// script (atomic in Redis) over the RedisClient's thread-safe pool.
#ifndef WANDERLUXE_PORTS_IDEMPOTENCY_STORE_H_
#define WANDERLUXE_PORTS_IDEMPOTENCY_STORE_H_

#include <chrono>
#include <optional>
#include <string>

#include "wanderluxe/booking.h"
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

// A booking published and acknowledged by Kafka (answered 202).
struct AcceptedBooking {
  BookingRequest request;
  std::string event_id;
  std::string accepted_at;  // ISO 8601 UTC: the event's timestamp

  bool operator==(const AcceptedBooking&) const = default;
};

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // Claims `key` for a request with `fingerprint`, identified by `token`, unless
  // a record exists; then returns that record untouched.
  virtual Result<IdempotencyClaim> Claim(const std::string& key, const std::string& fingerprint,
                                         const std::string& token,
                                         std::chrono::milliseconds in_flight_ttl) = 0;
  // Called once the booking's event is durable. Records `accepted` for
  // FindAccepted (kept `done_ttl`; the first acceptance of a bookingId stays)
  // whether or not the claim is still ours, and in the same atomic step stores
  // the response; only the claimant (`token`) can complete its claim, else
  // kFailedPrecondition.
  virtual Status Complete(const std::string& key, const std::string& token,
                          const std::string& response, const AcceptedBooking& accepted,
                          std::chrono::milliseconds done_ttl) = 0;
  // Drops an unfinished claim so the client may retry; only the claimant can.
  virtual Status Release(const std::string& key, const std::string& token) = 0;
  // The accepted booking with this id, nullopt when none was accepted (or its
  // record has expired).
  virtual Result<std::optional<AcceptedBooking>> FindAccepted(const std::string& booking_id) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_IDEMPOTENCY_STORE_H_
