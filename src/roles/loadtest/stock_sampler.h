// Reads a property's stock (available, held, sold) from the gateway's
// inventory endpoint on a thread of its own, at a bounded rate, while a herd
// runs: the report's stock-over-time chart.
#ifndef WANDERLUXE_ROLES_LOADTEST_STOCK_SAMPLER_H_
#define WANDERLUXE_ROLES_LOADTEST_STOCK_SAMPLER_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "wanderluxe/mutex.h"

namespace wanderluxe {

class HttpClient;

// One read per interval at most: the sampler must not load the gateway it watches.
inline constexpr std::chrono::milliseconds kStockSampleInterval{100};
inline constexpr std::chrono::milliseconds kStockRequestTimeout{2'000};

struct StockReading {
  std::chrono::steady_clock::time_point at;
  int64_t available = 0;
  int64_t held = 0;
  int64_t sold = 0;
};

class StockSampler {
 public:
  StockSampler(std::string base_url, std::string property_id);
  ~StockSampler();  // stops

  void Start();
  // Takes one last reading, stops the thread, and returns every reading.
  std::vector<StockReading> Stop();
  // The seeded total the gateway reported, if it knows it.
  std::optional<int64_t> total() const;

 private:
  void Run();
  std::optional<StockReading> ReadOnce(HttpClient& http);

  const std::string base_url_;
  const std::string property_id_;
  mutable Mutex mu_;
  CondVar stop_cv_{&mu_};
  bool stop_ GUARDED_BY(mu_) = false;
  std::vector<StockReading> readings_ GUARDED_BY(mu_);
  std::optional<int64_t> total_ GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_LOADTEST_STOCK_SAMPLER_H_
