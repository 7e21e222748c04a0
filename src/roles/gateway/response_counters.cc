#include "roles/gateway/response_counters.h"

namespace wanderluxe {

ResponseCounters::ResponseCounters(MetricsRegistry& metrics,
                                   const std::vector<std::string>& route_labels)
    : metrics_(metrics) {
  for (const std::string& label : route_labels) {
    auto by_status = std::make_unique<ByStatus>();
    for (auto& counter : *by_status) counter.store(nullptr, std::memory_order_relaxed);
    routes_.emplace(label, std::move(by_status));
  }
}

Counter* ResponseCounters::Resolve(const std::string& route_label, int status) {
  return metrics_.GetCounter(
      "gateway_http_requests_total", "HTTP requests by route and status",
      "route=\"" + route_label + "\",status=\"" + std::to_string(status) + "\"");
}

void ResponseCounters::Count(const std::string& route_label, int status) {
  auto route = routes_.find(route_label);
  const int slot = status - kFirstStatus;
  if (route == routes_.end() || slot < 0 || slot >= kStatuses) {
    Resolve(route_label, status)->Increment();  // not a route we know: by name
    return;
  }
  std::atomic<Counter*>& handle = (*route->second)[static_cast<size_t>(slot)];
  Counter* counter = handle.load(std::memory_order_acquire);
  if (counter == nullptr) {
    counter = Resolve(route_label, status);
    handle.store(counter, std::memory_order_release);
  }
  counter->Increment();
}

}  // namespace wanderluxe
