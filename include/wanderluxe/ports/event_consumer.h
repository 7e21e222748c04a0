// Port: reads events as a member of a consumer group. The application decides
// when an offset is committed (never the client library on its own).
// PartitionConsumer adds what the processor needs of its partitions:
// pausing them for backpressure, being told of rebalances, and asking the
// broker where a partition ends and where the group committed it.
//
// Thread safety: NOT thread-safe; a consumer belongs to one thread, its polling
// thread, which calls Subscribe, Poll and Commit (workers hand their finished
// offsets back to it; they never touch the consumer). Close is called by that
// thread, or by another only after the polling thread has stopped (the
// processor role joins it first). A RebalanceListener is called inside Poll,
// on the polling thread; Pause, Resume, PauseAll and ResumeAll are for that
// thread too.
// QueryWatermarks and QueryCommitted may be called from any thread at any
// time (KafkaConsumer: librdkafka's queries are thread-safe), as may the
// adapter's own thread-safe queries (consumer lag on the admin thread).
#ifndef WANDERLUXE_PORTS_EVENT_CONSUMER_H_
#define WANDERLUXE_PORTS_EVENT_CONSUMER_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

struct ConsumedEvent {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
  std::string key;
  std::string value;
  std::vector<EventHeader> headers;
  int64_t timestamp_ms = 0;
};

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator<(const TopicPartition& o) const {
    return topic < o.topic || (topic == o.topic && partition < o.partition);
  }
  bool operator==(const TopicPartition&) const = default;
};

// A partition's first offset and the offset its next event will take.
struct Watermarks {
  int64_t low = -1;
  int64_t high = -1;
};

// "Everything in topic/partition below `offset` is done": the next offset to read.
struct CommitPoint {
  std::string topic;
  int32_t partition = 0;
  int64_t offset = 0;
};

class EventConsumer {
 public:
  virtual ~EventConsumer() = default;

  virtual Status Subscribe(const std::vector<std::string>& topics) = 0;

  // The next event, nothing when `timeout` passed quietly, or an error.
  virtual Result<std::optional<ConsumedEvent>> Poll(std::chrono::milliseconds timeout) = 0;

  // Commits synchronously; OK means the group coordinator stored the offsets.
  // Returns within a bound (KafkaConsumer: kafka.commit_timeout_ms) whatever
  // the broker does, because the caller is the thread that polls: an error
  // only means the offsets may be delivered again.
  virtual Status Commit(const std::vector<CommitPoint>& points) = 0;

  // Leaves the group cleanly (revokes partitions, lets the group rebalance).
  virtual void Close() = 0;

  // Stops fetching every partition assigned now or later, until ResumeAll,
  // while Poll goes on keeping the member in its group (max.poll.interval.ms):
  // a caller that cannot take events for a while (the audit while its sink is
  // down) still polls, and is not thrown out of the group. Nothing is
  // skipped: events fetched before the pause and not yet handed out are not
  // handed out while paused, and after ResumeAll fetching goes on from the
  // caller's position (the event after the last one Poll returned).
  virtual Status PauseAll() = 0;
  virtual Status ResumeAll() = 0;
};

// Told about rebalances, on the polling thread, inside Poll. OnRevoked runs
// before the partitions are given up: the place to drain and commit them.
// Eager assignment revokes every owned partition, then assigns the new set
// (often the same partitions again); cooperative assignment names only the
// partitions that move.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  virtual void OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions) = 0;
};

// A consumer whose partitions the application pauses and resumes. The
// listener is given when the consumer is made (the adapter's factory).
class PartitionConsumer : public EventConsumer {
 public:
  // Stops / restarts fetching from these partitions; polling goes on, so the
  // group does not think we died (max.poll.interval.ms). What a pause means
  // across a revoke is the implementation's: KafkaConsumer guarantees that a
  // partition assigned (again) is fetched (kFetchOnAssign), and resuming a
  // partition it did not pause does nothing. The processor relies on neither
  // (kPauseFollowsQueue: it pauses or resumes every owned partition after each
  // assign and revoke).
  virtual Status Pause(const std::vector<TopicPartition>& partitions) = 0;
  virtual Status Resume(const std::vector<TopicPartition>& partitions) = 0;

  // Asked of the broker, within `timeout`; from any thread.
  virtual Result<Watermarks> QueryWatermarks(const TopicPartition& tp,
                                             std::chrono::milliseconds timeout) = 0;
  // The group's committed offset of `tp`, -1 when it has none; from any thread.
  virtual Result<int64_t> QueryCommitted(const TopicPartition& tp,
                                         std::chrono::milliseconds timeout) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_EVENT_CONSUMER_H_
