#include "wanderluxe/metrics.h"

#include <algorithm>
#include <sstream>

#include "wanderluxe/check.h"

namespace wanderluxe {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1, 0) {
  WL_CHECK(std::is_sorted(bounds_.begin(), bounds_.end()), "histogram bounds ascend");
}

void Histogram::Observe(double seconds) {
  const size_t bucket = std::lower_bound(bounds_.begin(), bounds_.end(), seconds) - bounds_.begin();
  MutexLock lock(&mu_);
  ++buckets_[bucket];
  sum_ += seconds;
  ++count_;
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot s;
  s.bounds = bounds_;
  MutexLock lock(&mu_);
  int64_t running = 0;
  for (int64_t b : buckets_) {
    running += b;
    s.cumulative.push_back(running);
  }
  s.sum = sum_;
  s.count = count_;
  return s;
}

std::vector<double> LatencyBuckets() {
  return {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

MetricsRegistry::Family& MetricsRegistry::FamilyFor(const std::string& name,
                                                    const std::string& type,
                                                    const std::string& help) {
  Family& f = families_[name];
  if (f.type.empty()) {
    f.type = type;
    f.help = help;
  }
  WL_CHECK(f.type == type, "one metric name, one type");
  return f;
}

Counter* MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const std::string& labels) {
  MutexLock lock(&mu_);
  auto& slot = FamilyFor(name, "counter", help).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return slot.get();
}

Gauge* MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const std::string& labels) {
  MutexLock lock(&mu_);
  auto& slot = FamilyFor(name, "gauge", help).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return slot.get();
}

Histogram* MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const std::string& labels, std::vector<double> bounds) {
  MutexLock lock(&mu_);
  auto& slot = FamilyFor(name, "histogram", help).histograms[labels];
  if (!slot) slot = std::make_unique<Histogram>(std::move(bounds));
  return slot.get();
}

std::string MetricsRegistry::RenderPrometheus() const {
  std::ostringstream out;
  auto series = [](const std::string& name, const std::string& labels) {
    return labels.empty() ? name : name + "{" + labels + "}";
  };
  auto join = [](const std::string& labels, const std::string& more) {
    return labels.empty() ? more : labels + "," + more;
  };
  MutexLock lock(&mu_);
  for (const auto& [name, f] : families_) {
    out << "# HELP " << name << " " << f.help << "\n# TYPE " << name << " " << f.type << "\n";
    for (const auto& [labels, c] : f.counters)
      out << series(name, labels) << " " << c->value() << "\n";
    for (const auto& [labels, g] : f.gauges)
      out << series(name, labels) << " " << g->value() << "\n";
    for (const auto& [labels, h] : f.histograms) {
      const Histogram::Snapshot s = h->snapshot();
      for (size_t i = 0; i < s.bounds.size(); ++i) {
        std::ostringstream le;
        le << s.bounds[i];
        out << series(name + "_bucket", join(labels, "le=\"" + le.str() + "\"")) << " "
            << s.cumulative[i] << "\n";
      }
      out << series(name + "_bucket", join(labels, "le=\"+Inf\"")) << " " << s.count << "\n";
      out << series(name + "_sum", labels) << " " << s.sum << "\n";
      out << series(name + "_count", labels) << " " << s.count << "\n";
    }
  }
  return out.str();
}

}  // namespace wanderluxe
