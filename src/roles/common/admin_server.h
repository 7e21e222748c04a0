// The admin endpoint of a consuming role: /healthz and /metrics (with the
// consumer's lag per partition, refreshed on every scrape).
#ifndef WANDERLUXE_ROLES_COMMON_ADMIN_SERVER_H_
#define WANDERLUXE_ROLES_COMMON_ADMIN_SERVER_H_

#include <memory>
#include <string>

#include "adapters/http/http_server.h"
#include "adapters/kafka/kafka_consumer.h"
#include "wanderluxe/metrics.h"

namespace wanderluxe {

// `metrics` and `consumer` must outlive the server.
std::unique_ptr<HttpServer> MakeAdminServer(const std::string& host, int64_t port,
                                            MetricsRegistry& metrics, KafkaConsumer& consumer,
                                            const std::string& lag_metric);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_COMMON_ADMIN_SERVER_H_
