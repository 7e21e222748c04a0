// The gateway's HTTP surface: routes, per-route metrics, health and readiness,
// served by the event loop (EventLoopServer). Booking requests are accepted
// without a thread waiting (BookingIntake over asynchronous Redis calls and the
// producer's delivery reports); reads of the ledger, the inventory and the
// readiness probe block, so they run on the server's blocking pool.
// Separate from the role's main so that tests can run it in-process.
#ifndef WANDERLUXE_ROLES_GATEWAY_GATEWAY_SERVER_H_
#define WANDERLUXE_ROLES_GATEWAY_GATEWAY_SERVER_H_

#include <memory>
#include <optional>
#include <string>

#include "adapters/http/event_loop_server.h"
#include "adapters/redis/redis_commands.h"
#include "roles/gateway/readiness_probe.h"
#include "roles/gateway/response_counters.h"
#include "wanderluxe/booking_intake.h"
#include "wanderluxe/client_keys.h"
#include "wanderluxe/config.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/ports/inventory_store.h"
#include "wanderluxe/ports/ledger.h"

namespace wanderluxe {

// What the gateway talks to; owned by the caller, outliving the server.
struct GatewayDependencies {
  RedisCommands* redis = nullptr;
  EventProducer* producer = nullptr;
  Ledger* ledger = nullptr;             // for GET /api/v1/bookings/{id}
  InventoryStore* inventory = nullptr;  // for GET /api/v1/properties/{id}/inventory
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
  // Stops accepting, lets requests in flight be answered (gateway.drain_timeout_ms),
  // then waits for bookings still being accepted (their delivery reports
  // come within the producer's delivery timeout), then returns. Idempotent.
  void Stop();

  MetricsRegistry& metrics() { return metrics_; }

 private:
  void AddRoutes();
  void AddBookingRoutes();
  void AddOperationsRoutes();
  void RecordConnections();
  // The caller of a booking route: its client id ("" without keys), or nullopt
  // when keys are required and it presented none that is known.
  std::optional<std::string> Caller(const HttpRequest& req) const;

  const Config config_;
  GatewayDependencies deps_;
  MetricsRegistry metrics_;
  // Declared in the order they are needed: each outlives what follows it.
  std::unique_ptr<RedisAsyncCommands> redis_async_;
  std::unique_ptr<IdempotencyStore> idempotency_;
  std::unique_ptr<BookingIntake> intake_;
  std::unique_ptr<ReadinessProbe> readiness_;
  std::unique_ptr<ResponseCounters> responses_;
  std::unique_ptr<EventLoopServer> http_;
};

IntakeOptions IntakeOptionsFrom(const Config& config);
EventLoopServerOptions ServerOptionsFrom(const GatewayConfig& gateway);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_GATEWAY_GATEWAY_SERVER_H_
