// Port: reads events as a member of a consumer group. The application decides
// when an offset is committed (never the client library on its own).
//
// Thread safety: NOT thread-safe; a consumer belongs to one thread, its polling
// thread, which calls Subscribe, Poll and Commit (workers hand their finished
// offsets back to it; they never touch the consumer). Close is called by that
// thread, or by another only after the polling thread has stopped (the
// processor role joins it first). KafkaConsumer runs its rebalance callbacks
// inside Poll, on the polling thread; Pause and Resume are for that thread too.
// Only librdkafka's own thread-safe queries (consumer lag on the admin thread)
// may use the handle concurrently.
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
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_EVENT_CONSUMER_H_
