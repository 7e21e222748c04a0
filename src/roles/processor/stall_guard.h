// The processor's liveness guard: a partition it owns with events behind its
// position, from which nothing was read for longer than
// processor.stall_timeout_ms while backpressure did not ask for a pause, is
// stalled. Stalled partitions are logged (once when they stall, once when
// they recover), counted in processor_stalled_partitions, and fail /readyz:
// accepted bookings that nobody reads are invisible to the reconciler (they
// never reached the ledger), so only an operator or an orchestrator can act.
//
// Thread safety: Check and Run belong to one thread (the guard's own);
// Readiness may be called from any thread at any time. The consumer's
// queries it makes are the port's thread-safe ones.
#ifndef WANDERLUXE_ROLES_PROCESSOR_STALL_GUARD_H_
#define WANDERLUXE_ROLES_PROCESSOR_STALL_GUARD_H_

#include <atomic>
#include <chrono>
#include <set>

#include "roles/processor/booking_processor.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/ports/event_consumer.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

class StallGuard {
 public:
  // `processor`, `consumer` and `metrics` must outlive the guard.
  StallGuard(const BookingProcessor& processor, PartitionConsumer& consumer,
             std::chrono::milliseconds stall_timeout, MetricsRegistry& metrics);

  // Looks at every owned partition once; returns how many are stalled.
  int Check();
  // Checks every stall_timeout / kChecksPerTimeout until `stop` is set.
  void Run(const std::atomic<bool>& stop);
  // OK while no owned partition is stalled.
  Status Readiness() const;

 private:
  struct Backlog {
    int64_t position;  // the next offset the processor reads
    int64_t end;       // the offset the partition's next event will take
  };
  // Asks the broker, each query bounded.
  Result<Backlog> BacklogOf(const PartitionProgress& p);

  const BookingProcessor& processor_;
  PartitionConsumer& consumer_;
  const std::chrono::milliseconds stall_timeout_;
  std::set<TopicPartition> stalled_;  // guard thread only
  std::atomic<int> stalled_count_{0};
  Gauge* stalled_gauge_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_PROCESSOR_STALL_GUARD_H_
