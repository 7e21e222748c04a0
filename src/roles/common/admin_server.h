// The admin endpoint of a consuming role: /healthz, /readyz (200 while
// `ready` answers OK, else 503 with its reason) and /metrics (refreshed by
// `before_scrape` first: the role publishes its consumer's lag there).
//
// Thread safety: the server's threads run `ready` and `before_scrape`, each
// possibly on several requests at once.
#ifndef WANDERLUXE_ROLES_COMMON_ADMIN_SERVER_H_
#define WANDERLUXE_ROLES_COMMON_ADMIN_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "adapters/http/http_server.h"
#include "wanderluxe/metrics.h"

namespace wanderluxe {

// `metrics` and what `before_scrape` and `ready` use must outlive the
// server. Without `ready` the role is always ready.
std::unique_ptr<HttpServer> MakeAdminServer(const std::string& host, int64_t port,
                                            MetricsRegistry& metrics,
                                            std::function<void()> before_scrape,
                                            std::function<Status()> ready = nullptr);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_COMMON_ADMIN_SERVER_H_
