#include "wanderluxe/audit_archiver.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>

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
  std::vector<ConsumedEvent> batch;
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

bool AuditArchiver::ArchiveDurably(const std::vector<AuditRecord>& records,
                                   const std::atomic<bool>& stop) {
  const auto start = options_.clock->SteadyNow();
  for (ArchiveSink* sink : sinks_) {
    auto backoff = options_.retry_initial;
    while (true) {
      Status s = sink->Append(records);
      if (s.ok()) break;
      sink_failures_->Increment();
      spdlog::warn("audit sink {}: {}; retrying in {} ms", sink->name(), s.ToString(),
                   backoff.count());
      // Giving up on shutdown is safe: nothing is committed, so Kafka redelivers.
      if (!options_.clock->SleepUnlessStopped(backoff, stop)) return false;
      backoff = std::min(backoff * 2, options_.retry_max);
    }
  }
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
