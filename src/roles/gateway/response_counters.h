// gateway_http_requests_total{route, status}, resolved once: after a route's
// first answer with a status, counting the next is a hash lookup of the route
// label and one atomic increment, with no lock and no string built per answer.
//
// Thread safety: Count may run concurrently from every loop and blocking
// thread. The set of routes is fixed by the constructor; each (route,
// status) handle is published once through an atomic (two threads racing on
// the first answer both ask the registry, which returns the same counter).
#ifndef WANDERLUXE_ROLES_GATEWAY_RESPONSE_COUNTERS_H_
#define WANDERLUXE_ROLES_GATEWAY_RESPONSE_COUNTERS_H_

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "wanderluxe/metrics.h"

namespace wanderluxe {

class ResponseCounters {
 public:
  ResponseCounters(MetricsRegistry& metrics, const std::vector<std::string>& route_labels);

  void Count(const std::string& route_label, int status);

 private:
  // HTTP statuses are 100-599.
  static constexpr int kFirstStatus = 100;
  static constexpr int kStatuses = 500;
  using ByStatus = std::array<std::atomic<Counter*>, kStatuses>;

  Counter* Resolve(const std::string& route_label, int status);

  MetricsRegistry& metrics_;
  std::unordered_map<std::string, std::unique_ptr<ByStatus>> routes_;  // fixed after construction
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_GATEWAY_RESPONSE_COUNTERS_H_
