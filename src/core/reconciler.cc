#include "wanderluxe/reconciler.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "wanderluxe/ids.h"

namespace wanderluxe {

std::chrono::milliseconds Reconciler::ThresholdFor(const Config& config) {
  return std::min<std::chrono::milliseconds>(
      std::chrono::seconds(config.processor.stuck_threshold_s),
      std::chrono::milliseconds(config.saga.waitlist_timeout_ms));
}

Result<ReconcileReport> Reconciler::RunOnce(const std::atomic<bool>& stop, int64_t limit) {
  const int64_t cutoff = saga_.options().clock->NowUnixMillis() - threshold_.count();
  auto stale = ledger_.FindStale(IsoFromUnixMillis(cutoff), limit);
  if (!stale.ok()) return stale.status();
  ReconcileReport report;
  report.found = static_cast<int64_t>(stale->size());
  for (const BookingRecord& record : *stale) {
    if (stop.load()) break;
    spdlog::info("reconciling booking {} stuck in {} since {}", record.request.booking_id,
                 BookingStatusName(record.status), record.updated_at);
    auto result = saga_.DriveRecord(record, stop);
    if (result.ok() && result->verdict == SagaVerdict::kOwnedElsewhere) {
      ++report.owned_elsewhere;
    } else if (result.ok()) {
      ++report.finished[result->status];
    } else {
      ++report.failed;
      spdlog::warn("reconcile {}: {}", record.request.booking_id, result.status().ToString());
    }
  }
  return report;
}

}  // namespace wanderluxe
