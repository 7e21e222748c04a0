// The processor's engine (DESIGN.md "Processor"): one poll thread that only polls,
// decodes and dispatches into a bounded queue; a pool of workers running the
// saga; offsets committed per partition at the contiguous watermark.
//
// Backpressure: when the queue reaches its capacity every assigned partition
// is paused (polling goes on, so the group never sees us as dead) and resumed
// once the queue drains to the low-water mark. kPauseFollowsQueue: after every
// assign and revoke each owned partition is paused or resumed explicitly, as
// the queue asks; nothing librdkafka remembers of an earlier assignment counts.
// Rebalance (kafka.assignment_strategy; see config.h for why not
// cooperative-sticky on librdkafka 2.0.2): revoked partitions' queued work is dropped (the new
// owner gets it again), their running sagas finish (bounded by drain_timeout), what they finished
// is committed, and only then are the partitions given up. A saga still
// running at the bound goes on and the new owner's driver waits for its
// lease (kOneDriver): two owners never drive one booking at once.
// Batches (DESIGN.md "Processor"): decoded events wait per partition; up to
// batch_max of them (or what came within batch_linger of the first) are
// admitted together by a worker (BatchAdmission), in offset order: one batch
// of a partition decides (reads and reserves) at a time, and up to
// kBatchesInFlight of them are in flight at once (FerretDB's insert is most
// of a batch's time); batches hand their events over in the order they were
// taken (kHandOverInOrder), and a booking with an earlier event in flight
// (its lane is taken: from the batch that took that event until the event
// ends, whatever became of the assignment) is not decided by a later batch
// (kNotTwiceInFlight). Sold-out bookings are
// recorded SOLD_OUT there and their outcomes produced without waiting one by
// one: each offset is done
// when its outcome is acknowledged (a failed publish sends the event the
// one-by-one way). Bookings holding a unit, and every event the batch did not
// decide, continue as tasks on the worker pool.
// Failure: an undecodable event, or a booking whose saga failed with an error
// retrying cannot fix (after saga.max_attempts), is parked (hold released,
// PARKED) and dead-lettered by a worker, never by the poll thread, and its
// offset is done: the partition moves on.
//
// Thread safety: Run, OnAssigned and OnRevoked belong to the poll thread (the
// consumer calls the listener inside Poll, on that thread); queue_depth and
// Progress may be called from any thread. The processor depends on the
// consumer port only (PartitionConsumer): the role wires the Kafka one.
#ifndef WANDERLUXE_ROLES_PROCESSOR_BOOKING_PROCESSOR_H_
#define WANDERLUXE_ROLES_PROCESSOR_BOOKING_PROCESSOR_H_

#include <atomic>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <vector>

#include "wanderluxe/batch_admission.h"
#include "wanderluxe/booking_saga.h"
#include "wanderluxe/config.h"
#include "wanderluxe/metrics.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/offset_tracker.h"
#include "wanderluxe/ports/event_consumer.h"

namespace wanderluxe {

// The processor's knobs, only ever built from the config (its defaults are
// the config's): one options type, one set of defaults.
// Workers lent at once to drive waiters handed over together (those of a
// turned-away waitlist its batch could not end): enough to keep the ledger
// busy, few enough that events still find workers.
inline constexpr size_t kMaxLentWorkers = 32;

struct ProcessorOptions {
  std::string requests_topic;
  std::string dlq_topic;
  int workers;
  size_t queue_capacity;
  size_t queue_low_water;
  std::chrono::milliseconds commit_interval;
  std::chrono::milliseconds drain_timeout;
  size_t batch_max;
  std::chrono::milliseconds batch_linger;

  static ProcessorOptions From(const Config& config);
};

// What the liveness guard sees of one owned partition.
struct PartitionProgress {
  TopicPartition partition;
  // Since the last event read from it, or since it was last assigned or
  // resumed when that is later: how long it has been expected to be read.
  std::chrono::steady_clock::duration idle{};
  int64_t next_offset = -1;  // after the last event read; -1: none under this assignment
  bool paused_for_backpressure = false;
};

class BookingProcessor final : public RebalanceListener {
 public:
  BookingProcessor(ProcessorOptions options, BookingSaga& saga, EventProducer& dlq_producer,
                   MetricsRegistry& metrics);
  ~BookingProcessor() override;

  // The consumer must have been created with this processor as its listener.
  void Attach(PartitionConsumer* consumer) { consumer_ = consumer; }

  // Polls until `stop` is set, then drains (bounded), commits and returns.
  void Run(const std::atomic<bool>& stop);

  void OnAssigned(const std::vector<TopicPartition>& partitions) override;
  void OnRevoked(const std::vector<TopicPartition>& partitions) override;

  size_t queue_depth() const;
  // Every owned partition; from any thread.
  std::vector<PartitionProgress> Progress() const;

 private:
  using Clock = std::chrono::steady_clock;
  struct Task {
    ConsumedEvent raw;
    BookingEvent event;
    std::string poison;  // why the event could not be decoded; empty when it was
    uint64_t epoch;      // the assignment it was dispatched under
    // Holds its booking's lane: taken by its batch, or handed over by the
    // booking's previous event. Whoever ends the task hands the lane on.
    bool owns_lane = false;
    // Admitted by a batch holding a unit: the record as inserted, and the
    // driver holding its lease (BookingSaga::DriveAdmitted).
    std::optional<BookingRecord> admitted;
    std::string driver;
    // Not an event: admit the waiting events of this partition (`raw` names it).
    bool batch = false;
    // Not an event: a worker lent to drive the saga's handed-over bookings.
    bool hand_overs = false;
  };
  // One assigned partition. `epoch` names the assignment: work dispatched
  // under another epoch is never counted here. kWatermark: `committed` never
  // passes an offset that is not done.
  struct PartitionState {
    OffsetTracker tracker;
    uint64_t epoch = 0;
    bool revoking = false;  // queued work is dropped; running work is awaited
    int running = 0;        // sagas, the batch, and outcome publishes not yet answered
    int64_t committed = -1;
    Clock::time_point read_at{};  // last event read, assignment or resume
    int64_t next_offset = -1;
    std::deque<Task> waiting;  // decoded, not yet in a batch; offset order
    Clock::time_point first_waiting{};
    int batches = 0;           // batches queued or running: at most kBatchesInFlight
    bool deciding = false;     // a batch is queued or deciding: one at a time
    uint64_t next_batch = 0;   // the sequence number the next batch takes
    uint64_t handed_over = 0;  // batches before this one have handed over
  };

  void Dispatch(ConsumedEvent raw);
  // Queues a batch of `tp` ahead of other work, unless one is queued or
  // deciding, or kBatchesInFlight are running.
  void ScheduleBatch(const TopicPartition& tp, PartitionState& state) REQUIRES(mu_);
  // Batches of partitions whose first waiting event lingered long enough
  // (every partition with waiting events when `all`).
  void ScheduleLingeringBatches(bool all);
  // How long Poll may block: not past the linger of a waiting batch.
  std::chrono::milliseconds PollTimeout();
  void RunBatch(const Task& batch_task);
  // The outcome of a booking a batch recorded SOLD_OUT, produced without
  // waiting: its offset is done when Kafka acknowledges it.
  void PublishSoldOut(const Task& task, OutgoingEvent outcome);
  void Work();
  // Runs one task on a worker (mu_ not held); true when its offset is done.
  bool Execute(const Task& task);
  // The saga's lender (BookingSaga::LendDrivers): queues hand_overs tasks,
  // at most kMaxLentWorkers and half the pool at once.
  void LendWorkers(size_t waiting) EXCLUDES(mu_);
  // After a booking's event finished: its next waiting event runs next.
  void PassLaneOn(const std::string& booking_id) REQUIRES(mu_);
  // True once the dead letter is durable; false only when shutting down.
  bool SendToDeadLetters(const ConsumedEvent& raw, const std::string& error);
  void ApplyBackpressure();
  // Commits the watermark of `partitions` (all assigned when empty).
  void CommitWatermarks(const std::vector<TopicPartition>& partitions = {});
  void Drain();

  const ProcessorOptions options_;
  BookingSaga& saga_;
  BatchAdmission batches_;
  EventProducer& dlq_producer_;
  PartitionConsumer* consumer_ = nullptr;

  mutable Mutex mu_;
  CondVar work_cv_{&mu_};  // a task was queued, or shutdown
  CondVar idle_cv_{&mu_};  // a task finished
  std::deque<Task> queue_ GUARDED_BY(mu_);
  std::map<TopicPartition, PartitionState> partitions_ GUARDED_BY(mu_);
  // kOneBookingAtATime: events of a booking run in partition order, one at a
  // time; later ones wait here while an earlier one is in flight. A lane
  // exists from the batch that takes a booking's event until its last event
  // ends, across assignments (kNotTwiceInFlight reads it).
  std::map<std::string, std::deque<Task>> waiting_by_booking_ GUARDED_BY(mu_);
  uint64_t next_epoch_ GUARDED_BY(mu_) = 1;
  int running_ GUARDED_BY(mu_) = 0;
  size_t lent_ GUARDED_BY(mu_) = 0;     // hand_overs tasks queued or running
  int publishing_ GUARDED_BY(mu_) = 0;  // sold-out outcomes not yet answered
  size_t waiting_ GUARDED_BY(mu_) = 0;  // events waiting for a batch, all partitions
  // Every owned partition is paused while true (kPauseFollowsQueue). Written
  // by the poll thread only; read by Progress too.
  std::atomic<bool> backpressure_{false};
  bool assignment_changed_ = false;     // poll thread only
  std::atomic<bool> saga_stop_{false};  // interrupts sagas: their events stay uncommitted
  std::atomic<bool> workers_exit_{false};
  std::vector<std::thread> workers_;

  Gauge* queue_depth_;
  Counter* batches_total_;
  Counter* batched_events_;
  Gauge* in_flight_;
  Gauge* assigned_;
  Counter* dead_lettered_;
  Counter* pauses_;
  Histogram* revoke_seconds_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_PROCESSOR_BOOKING_PROCESSOR_H_
