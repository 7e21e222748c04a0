#include "roles/processor/stall_guard.h"

#include <spdlog/spdlog.h>

#include "wanderluxe/retry_policy.h"

namespace wanderluxe {
namespace {

// The guard looks this many times per stall_timeout: a stall is seen at most
// a quarter of the timeout late.
constexpr int kChecksPerTimeout = 4;
// Each broker query of a check (the end offset, the committed offset).
constexpr std::chrono::milliseconds kQueryTimeout{2000};

std::string Name(const TopicPartition& tp) { return tp.topic + ":" + std::to_string(tp.partition); }

}  // namespace

StallGuard::StallGuard(const BookingProcessor& processor, PartitionConsumer& consumer,
                       std::chrono::milliseconds stall_timeout, MetricsRegistry& metrics)
    : processor_(processor),
      consumer_(consumer),
      stall_timeout_(stall_timeout),
      stalled_gauge_(metrics.GetGauge(
          "processor_stalled_partitions",
          "owned partitions with events behind their position and nothing read from them for "
          "longer than processor.stall_timeout_ms, backpressure aside")) {}

Result<StallGuard::Backlog> StallGuard::BacklogOf(const PartitionProgress& p) {
  auto marks = consumer_.QueryWatermarks(p.partition, kQueryTimeout);
  if (!marks.ok()) return marks.status();
  int64_t position = p.next_offset;
  if (position < 0) {
    // Nothing read under this assignment: the group's committed offset is
    // where reading starts (the low watermark when none is committed).
    auto committed = consumer_.QueryCommitted(p.partition, kQueryTimeout);
    if (!committed.ok()) return committed.status();
    position = *committed >= 0 ? *committed : marks->low;
  }
  return Backlog{position, marks->high};
}

int StallGuard::Check() {
  std::set<TopicPartition> stalled;
  for (const PartitionProgress& p : processor_.Progress()) {
    if (p.paused_for_backpressure || p.idle < stall_timeout_) continue;
    auto backlog = BacklogOf(p);
    if (!backlog.ok()) {
      spdlog::warn("stall guard: {}: {}", Name(p.partition), backlog.status().ToString());
      if (stalled_.count(p.partition)) stalled.insert(p.partition);  // as it was
      continue;
    }
    if (backlog->end <= backlog->position) continue;
    stalled.insert(p.partition);
    if (!stalled_.count(p.partition)) {
      spdlog::error(
          "partition {} stalled: position {}, end offset {}, and nothing read from it for {} s "
          "(processor.stall_timeout_ms {}); /readyz fails until it is read again",
          Name(p.partition), backlog->position, backlog->end,
          std::chrono::duration_cast<std::chrono::seconds>(p.idle).count(), stall_timeout_.count());
    }
  }
  for (const TopicPartition& tp : stalled_) {
    if (!stalled.count(tp))
      spdlog::info("partition {} is read again (or no longer ours)", Name(tp));
  }
  stalled_ = std::move(stalled);
  stalled_count_ = static_cast<int>(stalled_.size());
  stalled_gauge_->Set(stalled_count_.load());
  return stalled_count_.load();
}

void StallGuard::Run(const std::atomic<bool>& stop) {
  while (SleepUnlessStopped(stall_timeout_ / kChecksPerTimeout, stop)) Check();
}

Status StallGuard::Readiness() const {
  const int stalled = stalled_count_.load();
  if (stalled == 0) return Status::Ok();
  return Status::Unavailable(std::to_string(stalled) +
                             " owned partitions stalled (processor_stalled_partitions)");
}

}  // namespace wanderluxe
