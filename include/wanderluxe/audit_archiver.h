// The audit service's loop: read a batch, make it durable in every sink, and
// only then commit its offsets. A crash anywhere before the commit redelivers
// the batch, and the sinks' idempotence turns that into exactly-once (I6).
//
// Thread safety: one thread runs an AuditArchiver (Run or RunOnce); only
// `stop` is shared, and may be set from any thread.
#ifndef WANDERLUXE_AUDIT_ARCHIVER_H_
#define WANDERLUXE_AUDIT_ARCHIVER_H_

#include <atomic>
#include <chrono>
#include <vector>

#include "wanderluxe/config.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/ports/archive_sink.h"
#include "wanderluxe/ports/clock.h"
#include "wanderluxe/ports/event_consumer.h"

namespace wanderluxe {

struct ArchiverOptions {
  size_t max_batch = 500;
  std::chrono::milliseconds max_batch_wait{200};
  std::chrono::milliseconds retry_initial{100};
  std::chrono::milliseconds retry_max{5000};
  Clock* clock = &SystemClock();  // batch waits, backoffs, archive timestamps; not owned

  static ArchiverOptions From(const AuditConfig& audit);
};

class AuditArchiver {
 public:
  AuditArchiver(ArchiverOptions options, EventConsumer& consumer, std::vector<ArchiveSink*> sinks,
                MetricsRegistry& metrics);

  // Archives until `stop` is set. A batch polled when the stop comes is still
  // archived and committed, unless a sink fails after it: then nothing of it
  // is committed, and the group's next member reads it again.
  void Run(const std::atomic<bool>& stop);

  // One batch: poll, archive (retrying sinks until they succeed or `stop`), commit.
  // Returns how many records were archived and committed.
  size_t RunOnce(const std::atomic<bool>& stop);

 private:
  // How long one poll waits while the sink is down: how soon a stop is seen.
  static constexpr std::chrono::milliseconds kPausedPollStep{100};

  std::vector<ConsumedEvent> PollBatch(const std::atomic<bool>& stop);
  // Retries each sink until it succeeds (true) or `stop` (false), polling the
  // paused consumer between tries.
  bool ArchiveDurably(const std::vector<AuditRecord>& records, const std::atomic<bool>& stop);
  // Polls the paused consumer for `wait`; false when `stop` came first.
  bool PollPausedFor(std::chrono::milliseconds wait, const std::atomic<bool>& stop);

  const ArchiverOptions options_;
  EventConsumer& consumer_;
  std::vector<ArchiveSink*> sinks_;
  Counter* archived_;
  Counter* malformed_;
  Counter* sink_failures_;
  Histogram* write_latency_;
  // Events a poll handed out while paused, first in the next batch.
  std::vector<ConsumedEvent> carried_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_AUDIT_ARCHIVER_H_
