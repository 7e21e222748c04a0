#include "wanderluxe/audit_archiver.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

#include "wanderluxe/retry_policy.h"

namespace wanderluxe {

ArchiverOptions ArchiverOptions::From(const AuditConfig& audit) {
  ArchiverOptions options;
  options.max_batch = static_cast<size_t>(audit.batch_max);
  options.max_batch_wait = std::chrono::milliseconds(audit.batch_wait_ms);
  return options;
}

AuditArchiver::AuditArchiver(ArchiverOptions options, EventConsumer& consumer,
                             std::vector<ArchiveSink*> sinks, MetricsRegistry& metrics)
    : options_(options),
      consumer_(consumer),
      sinks_(std::move(sinks)),
      archived_(metrics.GetCounter("audit_archived_total", "records archived and committed")),
      malformed_(metrics.GetCounter("audit_malformed_total",
                                    "records archived raw because they could not be read")),
      sink_failures_(metrics.GetCounter("audit_sink_failures_total",
                                        "archive writes that failed and were retried")),
      write_latency_(metrics.GetHistogram("audit_write_seconds",
                                          "time to make one batch durable in every sink")) {}

void AuditArchiver::Run(const std::atomic<bool>& stop) {
  while (!stop.load()) RunOnce(stop);
}

std::vector<ConsumedEvent> AuditArchiver::PollBatch(const std::atomic<bool>& stop) {
  std::vector<ConsumedEvent> batch = std::move(carried_);
  carried_.clear();
  Clock& clock = *options_.clock;
  const auto deadline = clock.SteadyNow() + options_.max_batch_wait;
  while (batch.size() < options_.max_batch && clock.SteadyNow() < deadline && !stop.load()) {
    auto polled = consumer_.Poll(std::chrono::milliseconds(50));
    if (!polled.ok()) {
      spdlog::warn("audit poll: {}", polled.status().ToString());
      continue;
    }
    if (polled->has_value()) batch.push_back(std::move(**polled));
  }
  return batch;
}

bool AuditArchiver::PollPausedFor(std::chrono::milliseconds wait, const std::atomic<bool>& stop) {
  Clock& clock = *options_.clock;
  const auto until = clock.SteadyNow() + wait;
  while (!stop.load()) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(until - clock.SteadyNow());
    if (left <= std::chrono::milliseconds(0)) return true;
    auto polled = consumer_.Poll(std::min(left, kPausedPollStep));
    if (!polled.ok()) {
      spdlog::warn("audit poll while the sink is down: {}", polled.status().ToString());
      // An error answers at once: wait the step out on the clock instead.
      if (!clock.SleepUnlessStopped(std::min(left, kPausedPollStep), stop)) return false;
    } else if (polled->has_value()) {
      // Paused partitions hand nothing out; whatever came is kept, not skipped.
      carried_.push_back(std::move(**polled));
    }
  }
  return false;
}

bool AuditArchiver::ArchiveDurably(const std::vector<AuditRecord>& records,
                                   const std::atomic<bool>& stop) {
  const auto start = options_.clock->SteadyNow();
  bool paused = false;
  bool archived = true;
  for (ArchiveSink* sink : sinks_) {
    // Not RetryWithBackoff: between attempts the consumer polls, paused.
    Backoff backoff(RetryPolicy{options_.retry_initial, options_.retry_max, 2, 0});
    while (true) {
      Status s = sink->Append(records);
      if (s.ok()) break;
      sink_failures_->Increment();
      const std::chrono::milliseconds delay = backoff.Next();
      spdlog::warn("audit sink {}: {}; retrying in {} ms", sink->name(), s.ToString(),
                   delay.count());
      // The consumer keeps polling, paused, so the group keeps this member
      // (max.poll.interval.ms) however long the sink is down.
      if (!paused) {
        Status p = consumer_.PauseAll();
        if (!p.ok()) spdlog::warn("audit pause while the sink is down: {}", p.ToString());
        paused = true;
      }
      // Giving up on shutdown is safe: nothing is committed, so Kafka redelivers.
      if (!PollPausedFor(delay, stop)) {
        archived = false;
        break;
      }
    }
    if (!archived) break;
  }
  if (paused) {
    Status r = consumer_.ResumeAll();
    if (!r.ok()) spdlog::warn("audit resume after the sink came back: {}", r.ToString());
  }
  if (!archived) return false;
  write_latency_->Observe(
      std::chrono::duration<double>(options_.clock->SteadyNow() - start).count());
  return true;
}

size_t AuditArchiver::RunOnce(const std::atomic<bool>& stop) {
  std::vector<ConsumedEvent> batch = PollBatch(stop);
  if (batch.empty()) return 0;
  std::vector<AuditRecord> records;
  records.reserve(batch.size());
  const std::string now = options_.clock->NowIso8601();
  for (const ConsumedEvent& event : batch) {
    records.push_back(MakeAuditRecord(event, now));
    if (!records.back().decode_error.empty()) {
      malformed_->Increment();
      spdlog::warn("archiving event {}:{}:{} as {}, not all of it readable: {}", event.topic,
                   event.partition, event.offset, records.back().archive_id,
                   records.back().decode_error);
    }
  }
  if (!ArchiveDurably(records, stop)) return 0;
  // One consumer thread reads each partition in order, so the batch's highest
  // offset per partition is a contiguous watermark.
  std::map<std::pair<std::string, int32_t>, int64_t> next;
  for (const ConsumedEvent& e : batch) {
    int64_t& n = next[{e.topic, e.partition}];
    n = std::max(n, e.offset + 1);
  }
  std::vector<CommitPoint> points;
  for (const auto& [tp, offset] : next) points.push_back({tp.first, tp.second, offset});
  Status committed = consumer_.Commit(points);
  if (!committed.ok()) {
    // Harmless: the records are archived; a redelivery is deduplicated by the sinks.
    spdlog::warn("audit commit: {}", committed.ToString());
  }
  archived_->Increment(static_cast<int64_t>(records.size()));
  return records.size();
}

}  // namespace wanderluxe
