#include "roles/common/admin_server.h"

#include "wanderluxe/api_response.h"

namespace wanderluxe {

std::unique_ptr<HttpServer> MakeAdminServer(const std::string& host, int64_t port,
                                            MetricsRegistry& metrics,
                                            std::function<void()> before_scrape,
                                            std::function<Status()> ready) {
  auto admin = std::make_unique<HttpServer>(HttpServerOptions{host, static_cast<int>(port), 4});
  admin->Route("GET", "/healthz", [](const HttpRequest&) {
    return HttpResponse{200, "application/json", R"({"status":"ok"})", {}};
  });
  admin->Route("GET", "/readyz", [ready](const HttpRequest&) {
    const Status s = ready ? ready() : Status::Ok();
    if (s.ok()) return HttpResponse{200, "application/json", R"({"status":"ready"})", {}};
    return ProblemResponse(503, "Not Ready", s.message());
  });
  admin->Route("GET", "/metrics", [&metrics, before_scrape](const HttpRequest&) {
    if (before_scrape) before_scrape();
    return HttpResponse{200, "text/plain; version=0.0.4", metrics.RenderPrometheus(), {}};
  });
  return admin;
}

}  // namespace wanderluxe
