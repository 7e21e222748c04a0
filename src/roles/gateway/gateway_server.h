// The gateway's HTTP surface: routes, per-route metrics, health and readiness,
// served by the event loop (EventLoopServer). Booking requests are accepted
// and bookings read without a thread waiting (BookingIntake and StatusAnswers
// over asynchronous Redis calls, the producer's delivery reports, and the
// outcome watch for reads that wait); reads of the inventory and the
// readiness probe block, so they run on the server's blocking pool.
// Separate from the role's main so that tests can run it in-process.
//
// Thread safety: Start, Stop and the destructor are called by one owner
// thread; metrics() is thread-safe.
#ifndef WANDERLUXE_ROLES_GATEWAY_GATEWAY_SERVER_H_
#define WANDERLUXE_ROLES_GATEWAY_GATEWAY_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "adapters/http/event_loop_server.h"
#include "adapters/redis/redis_commands.h"
#include "roles/gateway/readiness_probe.h"
#include "roles/gateway/response_counters.h"
#include "roles/gateway/status_answers.h"
#include "wanderluxe/booking_intake.h"
#include "wanderluxe/client_keys.h"
#include "wanderluxe/config.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/outcome_watch.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/ports/inventory_store.h"
#include "wanderluxe/ports/status_reads.h"
#include "wanderluxe/ports/topic_tail.h"
#include "wanderluxe/rate_limiter.h"
#include "wanderluxe/status_waiters.h"

namespace wanderluxe {

// What the gateway talks to; owned by the caller, outliving the server.
struct GatewayDependencies {
  RedisCommands* redis = nullptr;
  EventProducer* producer = nullptr;
  InventoryStore* inventory = nullptr;  // for GET /api/v1/properties/{id}/inventory
  // `booking.outcomes` from its end, to wake reads with `Prefer: wait`; null:
  // such reads wait their whole time (tests).
  TopicTail* outcomes = nullptr;
  // gateway.auth_mode=api-key (ClientKeys::Load): every booking route asks
  // for a key, and a booking is shown only to the client that booked it.
  // Null exactly when auth_mode is none.
  std::shared_ptr<const ClientKeys> client_keys;
};

class GatewayServer {
 public:
  GatewayServer(const Config& config, GatewayDependencies deps);
  ~GatewayServer();

  Status Start();
  int port() const { return http_->port(); }
  // Answers every waiting read with its current view, stops accepting, lets
  // requests in flight be answered (gateway.drain_timeout_ms),
  // then waits for bookings still being accepted (their delivery reports
  // come within the producer's delivery timeout), then returns. Idempotent.
  void Stop();

  MetricsRegistry& metrics() { return metrics_; }

 private:
  void AddRoutes();
  void AddBookingRoutes();
  void AddOperationsRoutes();
  void RecordConnections();
  void RecordWaiters();
  void ReadBooking(const HttpRequest& req, EventLoopServer::Responder respond);
  // The caller of a booking route: its client id ("" without keys), or nullopt
  // when keys are required and it presented none that is known.
  std::optional<std::string> Caller(const HttpRequest& req) const;
  // The 429 for `req` when its client is over `limiter`'s rate; nothing when
  // it may go on. A client is its API client id (`caller`, from Caller), else
  // its address (an unknown key counts against its address: guessing keys
  // is limited too).
  std::optional<HttpResponse> OverRate(RateLimiter& limiter, const HttpRequest& req,
                                       const std::optional<std::string>& caller,
                                       const char* what) const;

  const Config config_;
  GatewayDependencies deps_;
  MetricsRegistry metrics_;
  // Declared in the order they are needed: each outlives what follows it.
  std::unique_ptr<RedisAsyncCommands> redis_async_;
  // The status reads' own pipeline (standalone; null on a Cluster): a read
  // never waits in a round trip of idempotency writes and their fsync.
  std::unique_ptr<RedisAsyncCommands> status_redis_async_;
  std::unique_ptr<IdempotencyStore> idempotency_;
  std::unique_ptr<StatusReads> status_reads_;
  std::unique_ptr<StatusWaiters> waiters_;
  std::unique_ptr<OutcomeWatch> outcome_watch_;  // null without deps_.outcomes
  std::unique_ptr<StatusAnswers> status_answers_;
  std::unique_ptr<BookingIntake> intake_;
  std::unique_ptr<ReadinessProbe> readiness_;
  std::unique_ptr<ResponseCounters> responses_;
  std::unique_ptr<EventLoopServer> http_;
  RateLimiter post_limiter_;  // gateway.post_per_s, post_burst
  RateLimiter get_limiter_;   // gateway.get_per_s, get_burst
};

IntakeOptions IntakeOptionsFrom(const Config& config);
EventLoopServerOptions ServerOptionsFrom(const GatewayConfig& gateway);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_GATEWAY_GATEWAY_SERVER_H_
