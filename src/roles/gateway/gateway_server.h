// The gateway's HTTP surface: routes, per-route metrics, health and readiness.
// Separate from the role's main so that tests can run it in-process.
#ifndef WANDERLUXE_ROLES_GATEWAY_GATEWAY_SERVER_H_
#define WANDERLUXE_ROLES_GATEWAY_GATEWAY_SERVER_H_

#include <memory>

#include "adapters/http/http_server.h"
#include "adapters/redis/redis_client.h"
#include "roles/gateway/readiness_probe.h"
#include "wanderluxe/booking_intake.h"
#include "wanderluxe/config.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/ports/inventory_store.h"
#include "wanderluxe/ports/ledger.h"

namespace wanderluxe {

// What the gateway talks to; owned by the caller, outliving the server.
struct GatewayDependencies {
  RedisClient* redis = nullptr;
  EventProducer* producer = nullptr;
  Ledger* ledger = nullptr;             // for GET /api/v1/bookings/{id}
  InventoryStore* inventory = nullptr;  // for GET /api/v1/properties/{id}/inventory
};

class GatewayServer {
 public:
  GatewayServer(const Config& config, GatewayDependencies deps);
  ~GatewayServer();

  Status Start();
  int port() const { return http_->port(); }
  // Stops accepting, lets requests in flight finish, then returns.
  void Stop();

  MetricsRegistry& metrics() { return metrics_; }

 private:
  void AddRoutes();

  const Config config_;
  GatewayDependencies deps_;
  MetricsRegistry metrics_;
  std::unique_ptr<IdempotencyStore> idempotency_;
  std::unique_ptr<BookingIntake> intake_;
  std::unique_ptr<ReadinessProbe> readiness_;
  std::unique_ptr<HttpServer> http_;
};

IntakeOptions IntakeOptionsFrom(const Config& config);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_GATEWAY_GATEWAY_SERVER_H_
