// Port: the gateway's Idempotency-Key records (docs/contract.md "HTTP APIs", "Redis"),
// and the record of each booking the gateway accepted, so that GET can answer
// ACCEPTED before the processor has written the booking to the ledger (§4.3).
// A key is claimed atomically (one claimant wins), then either completed with
// the response to replay, or dropped when the publish certainly failed. A
// publish whose outcome is unknown leaves its claim to expire and marks the
// key, so that no later attempt under it is told "not recorded". A claim marks
// the key too, with its token: a claimant that vanishes (killed between its
// publish and its verdict) leaves that mark behind when its claim lapses, so
// the key's next claimant knows an earlier attempt may have been written.
//
// Thread safety: every call may run concurrently with any other call, on the
// same key or booking or on different ones, from any thread. Each call is atomic on its own: of
// racing claims of one key exactly one gets kClaimed; a completion writes the key's record and
// the accepted booking together (a Redis Cluster: the booking first, then the record), so a
// FindAccepted racing it sees either no record or the whole one. Nothing is
// atomic across calls. The *Async calls never block: their `done` runs
// exactly once, on the store's I/O thread, or on the calling thread before
// the call returns when the store refuses the call outright (its queue is
// full, it is shutting down); a `done` must be short and must not block, for
// it holds up the replies of other calls. Each has a deadline of its own
// (RedisConfig::command_timeout_ms; twice that on a cluster): past it `done` gets an error, never
// silence. The synchronous calls block the calling thread (GET runs them on a
// blocking pool). RedisIdempotencyStore holds no state of its own: each call is one command or
// Lua script (atomic in Redis), the synchronous ones over a blocking client's pool, the
// asynchronous ones over a RedisPipeline (one server) or RedisWorkers (a cluster).
#ifndef WANDERLUXE_PORTS_IDEMPOTENCY_STORE_H_
#define WANDERLUXE_PORTS_IDEMPOTENCY_STORE_H_

#include <chrono>
#include <functional>
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
  std::string client_id;    // who sent it (ClientKeys); empty without keys

  bool operator==(const AcceptedBooking&) const = default;
};

using ClaimCallback = std::function<void(Result<IdempotencyClaim>)>;
using StoreCallback = std::function<void(Status)>;
// A dropped claim's reply: true when the key is marked unknown (MarkUnknownAsync).
using DropClaimCallback = std::function<void(Result<bool>)>;

class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // Claims `key` for a request with `fingerprint`, identified by `token`, unless
  // a record exists; then returns that record untouched. A claim also marks
  // the key as attempted, for `done_ttl`: by `token` when no attempt came
  // before it, else as unknown. kClaimed is answered only once both are in.
  virtual void ClaimAsync(const std::string& key, const std::string& fingerprint,
                          const std::string& token, std::chrono::milliseconds in_flight_ttl,
                          std::chrono::milliseconds done_ttl, ClaimCallback done) = 0;
  // Called once the booking's event is durable. Records `accepted` for
  // FindAccepted (kept `done_ttl`; the first acceptance of a bookingId stays)
  // whether or not the claim is still ours, and in the same atomic step stores
  // the response; only the claimant (`token`) can complete its claim, else
  // kFailedPrecondition.
  virtual void CompleteAsync(const std::string& key, const std::string& token,
                             const std::string& response, const AcceptedBooking& accepted,
                             std::chrono::milliseconds done_ttl, StoreCallback done) = 0;
  // Drops an unfinished claim so the client may retry; only the claimant can.
  // In the same atomic step, tells whether the key is marked unknown (an
  // earlier publish under it may have been written), and takes back the
  // claimant's own mark when it was the only attempt.
  virtual void DropClaimAsync(const std::string& key, const std::string& token,
                              DropClaimCallback done) = 0;
  // Marks `key` unknown for `ttl`: a publish under it may have been written.
  // The claim is left as it is (it expires after its in-flight TTL).
  virtual void MarkUnknownAsync(const std::string& key, std::chrono::milliseconds ttl,
                                StoreCallback done) = 0;

  // The accepted booking with this id, nullopt when none was accepted (or its
  // record has expired).
  virtual Result<std::optional<AcceptedBooking>> FindAccepted(const std::string& booking_id) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_IDEMPOTENCY_STORE_H_
