// The admin endpoint of a consuming role: /healthz, /readyz (200 while
// `ready` answers OK, else 503 with its reason) and /metrics (with the
// consumer's lag per partition, refreshed on every scrape).
#ifndef WANDERLUXE_ROLES_COMMON_ADMIN_SERVER_H_
#define WANDERLUXE_ROLES_COMMON_ADMIN_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "adapters/http/http_server.h"
#include "adapters/kafka/kafka_consumer.h"
#include "wanderluxe/metrics.h"

namespace wanderluxe {

// `metrics`, `consumer` and what `ready` uses must outlive the server;
// `ready` runs on the server's threads. Without it the role is always ready.
std::unique_ptr<HttpServer> MakeAdminServer(const std::string& host, int64_t port,
                                            MetricsRegistry& metrics, KafkaConsumer& consumer,
                                            const std::string& lag_metric,
                                            std::function<Status()> ready = nullptr);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_COMMON_ADMIN_SERVER_H_
