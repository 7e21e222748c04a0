// Port: every event published on one topic from the moment it is read, by a
// reader of its own: each process sees every partition (they are assigned to
// it, from their end), belongs to no consumer group and commits nothing. The
// gateway reads `booking.outcomes` so, to wake the guests waiting for an
// outcome (DESIGN.md "The status view"); what was published before the
// reader reached a partition's end is not seen, and needs not be (a waiter
// reads the view after it registers).
//
// Thread safety: NOT thread-safe; one thread polls. Poll returns within its
// timeout whatever the broker does (before the reader has found the topic's
// partitions, within a bound of the implementation's); a broker that is away
// is an error (the caller waits and polls again), never a hang.
#ifndef WANDERLUXE_PORTS_TOPIC_TAIL_H_
#define WANDERLUXE_PORTS_TOPIC_TAIL_H_

#include <chrono>
#include <optional>

#include "wanderluxe/ports/event_consumer.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

class TopicTail {
 public:
  virtual ~TopicTail() = default;

  // The next event, nothing when `timeout` passed quietly, or an error.
  virtual Result<std::optional<ConsumedEvent>> Poll(std::chrono::milliseconds timeout) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_TOPIC_TAIL_H_
