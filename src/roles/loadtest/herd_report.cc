#include "roles/loadtest/herd_report.h"

#include <algorithm>
#include <cmath>

#include "roles/loadtest/herd.h"

namespace wanderluxe {

int64_t Timeline::WidthFor(double duration_ms) {
  for (int64_t width : kTimelineWidthsMs) {
    if (duration_ms / static_cast<double>(width) < static_cast<double>(kMaxTimelineBuckets)) {
      return width;
    }
  }
  return kTimelineWidthsMs.back();
}

TimelineBucket& Timeline::At(double at_ms) {
  const auto index = static_cast<size_t>(
      std::max<int64_t>(0, static_cast<int64_t>(at_ms) / std::max<int64_t>(1, bucket_ms)));
  if (index >= buckets.size()) buckets.resize(index + 1);
  return buckets[index];
}

LatencySummary LatencySummary::Of(const std::vector<double>& sorted_ms) {
  LatencySummary s;
  s.count = static_cast<int64_t>(sorted_ms.size());
  s.p50 = Percentile(sorted_ms, 50);
  s.p90 = Percentile(sorted_ms, 90);
  s.p99 = Percentile(sorted_ms, 99);
  s.max = sorted_ms.empty() ? 0 : sorted_ms.back();
  for (double ms : sorted_ms) {
    const auto edge = std::lower_bound(kLatencyBinEdgesMs.begin(), kLatencyBinEdgesMs.end(), ms);
    ++s.bins[static_cast<size_t>(edge - kLatencyBinEdgesMs.begin())];
  }
  return s;
}

Timeline BuildTimeline(const std::vector<RequestRecord>& requests,
                       const std::vector<OutcomeAt>& outcomes) {
  double end_ms = 0;
  for (const RequestRecord& r : requests) end_ms = std::max<double>(end_ms, r.answered_ms);
  for (const OutcomeAt& o : outcomes) end_ms = std::max(end_ms, o.at_ms);
  Timeline timeline;
  timeline.bucket_ms = Timeline::WidthFor(end_ms);
  for (const RequestRecord& r : requests) {
    ++timeline.At(r.sent_ms).sent;
    ++timeline.At(r.answered_ms).answers[r.status];
  }
  for (const OutcomeAt& o : outcomes) ++timeline.At(o.at_ms).outcomes[o.status];
  return timeline;
}

std::vector<StockSample> ThinStock(const std::vector<StockSample>& samples, int64_t bucket_ms) {
  std::vector<StockSample> kept;
  for (const StockSample& s : samples) {
    const bool same_bucket = !kept.empty() && static_cast<int64_t>(kept.back().at_ms) / bucket_ms ==
                                                  static_cast<int64_t>(s.at_ms) / bucket_ms;
    if (same_bucket) {
      kept.back() = s;
    } else {
      kept.push_back(s);
    }
  }
  return kept;
}

namespace {

nlohmann::json LatencyJson(const LatencySummary& s) {
  return {{"count", s.count}, {"p50", s.p50}, {"p90", s.p90}, {"p99", s.p99}, {"max", s.max}};
}

}  // namespace

nlohmann::json HerdReportJson(const HerdReport& r) {
  nlohmann::json statuses = nlohmann::json::object();
  for (const auto& [status, n] : r.http_statuses) statuses[std::to_string(status)] = n;
  nlohmann::json outcomes = nlohmann::json::object();
  for (const auto& [status, n] : r.outcomes) outcomes[status] = n;
  nlohmann::json invariants = nlohmann::json::array();
  for (const InvariantRow& i : r.invariants) {
    invariants.push_back(
        {{"id", i.id}, {"name", i.name}, {"verdict", i.verdict}, {"details", i.details}});
  }
  return {{"property", r.property},
          {"requests", r.requests},
          {"duplicatesSent", r.duplicates_sent},
          {"httpStatuses", statuses},
          {"acceptedBookings", r.accepted},
          {"acceptedPerSecond",
           r.herd_seconds > 0 ? static_cast<double>(r.accepted) / r.herd_seconds : 0},
          {"latencyMs", LatencyJson(r.all_latency)},
          {"acceptedLatencyMs", LatencyJson(r.accepted_latency)},
          {"acceptToTerminalMs", LatencyJson(r.accept_to_terminal)},
          {"waitlist",
           {{"waited", r.waited},
            {"waitedConfirmed", r.waited_confirmed},
            {"waitMs", LatencyJson(r.waitlist_wait)}}},
          {"outcomes", outcomes},
          {"herdSeconds", r.herd_seconds},
          {"drainSeconds", r.drain_seconds},
          // From the first request to the last booking terminal.
          {"totalSeconds", r.herd_seconds + r.drain_seconds},
          {"invariants", invariants},
          {"pass", r.pass}};
}

}  // namespace wanderluxe
