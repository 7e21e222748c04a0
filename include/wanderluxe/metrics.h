// Prometheus-style metrics: counters, gauges and histograms with fixed label
// sets, rendered as the text exposition format. Lock-free on the hot path for
// counters and gauges; histograms take a short per-series lock.
//
// Thread safety: every call, on the registry and on each counter, gauge and
// histogram, may run from any thread; a series, once created, lives as long
// as its registry.
#ifndef WANDERLUXE_METRICS_H_
#define WANDERLUXE_METRICS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "wanderluxe/mutex.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {

class Counter {
 public:
  void Increment(int64_t by = 1) { value_.fetch_add(by, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t by) { value_.fetch_add(by, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Observations in seconds, cumulative buckets as Prometheus expects.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double seconds);
  struct Snapshot {
    std::vector<double> bounds;
    std::vector<int64_t> cumulative;  // one per bound, then +Inf
    double sum = 0;
    int64_t count = 0;
  };
  Snapshot snapshot() const;

 private:
  const std::vector<double> bounds_;
  mutable Mutex mu_;
  std::vector<int64_t> buckets_ GUARDED_BY(mu_);
  double sum_ GUARDED_BY(mu_) = 0;
  int64_t count_ GUARDED_BY(mu_) = 0;
};

// Latency buckets from 0.5 ms to 30 s.
std::vector<double> LatencyBuckets();

// Owns every series; hands out stable pointers. Series are never removed.
class MetricsRegistry {
 public:
  // `labels` is the rendered label set, e.g. R"(route="/x",status="202")", or "".
  Counter* GetCounter(const std::string& name, const std::string& help,
                      const std::string& labels = "");
  Gauge* GetGauge(const std::string& name, const std::string& help, const std::string& labels = "");
  Histogram* GetHistogram(const std::string& name, const std::string& help,
                          const std::string& labels = "",
                          std::vector<double> bounds = LatencyBuckets());

  std::string RenderPrometheus() const;

 private:
  struct Family {
    std::string type;
    std::string help;
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& FamilyFor(const std::string& name, const std::string& type, const std::string& help)
      REQUIRES(mu_);

  mutable Mutex mu_;
  std::map<std::string, Family> families_ GUARDED_BY(mu_);
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_METRICS_H_
