// Port: publishes events durably. Implemented by adapters/kafka; faked in tests/.
//
// Thread safety: every call may run concurrently from any number of threads
// (the gateway's event loops, every saga worker share one producer).
// PublishAsync never blocks: KafkaProducer hands the message to librdkafka
// (thread-safe, never with RD_KAFKA_MSG_F_BLOCK) and returns. Its `done` runs
// exactly once: on the producer's one delivery-report thread with the broker's
// verdict, or on the calling thread, before PublishAsync returns, when the
// message was refused outright (local queue full, unknown topic...). A `done`
// must be short and must not block: it holds up every other report. No report
// can be lost: librdkafka itself gives its verdict on every message within
// the producer's message.timeout.ms (KafkaConfig::delivery_timeout_ms) plus
// its timeout scans, and KafkaProducer answers one it has not had by
// LongestPublishMs (config.h) itself, so that is the longest any publish
// waits. Destroying the producer must wait until no call is running; it
// serves (or fails) the report of every message handed over before it
// returns.
#ifndef WANDERLUXE_PORTS_EVENT_PRODUCER_H_
#define WANDERLUXE_PORTS_EVENT_PRODUCER_H_

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "wanderluxe/status.h"

namespace wanderluxe {

struct EventHeader {
  std::string key;
  std::string value;
};

struct OutgoingEvent {
  std::string topic;
  std::string key;
  std::string value;
  std::vector<EventHeader> headers;
};

// The fate of one published event, in three kinds a caller may promise from:
// - OK: written, the broker acknowledged it durably (acks=all);
// - kDeadlineExceeded: the outcome is unknown, the event may have been
//   written or may still be (it reached a broker that did not acknowledge
//   it, or no verdict came in time): claim neither;
// - any other code: certainly not written, and never will be.
using PublishCallback = std::function<void(Status)>;

class EventProducer {
 public:
  virtual ~EventProducer() = default;

  // Hands `event` over (moved: its key and value are sent from where they
  // are, not copied) and returns at once; `done` gets its fate as above.
  virtual void PublishAsync(OutgoingEvent event, PublishCallback done) = 0;

  // PublishAsync, then waits up to `timeout` for the fate of the event; the
  // deadline passing is an unknown outcome too (kDeadlineExceeded). For
  // callers that have a thread to wait with (saga workers, tools).
  virtual Status Publish(const OutgoingEvent& event, std::chrono::milliseconds timeout) = 0;

  // Waits until every event handed over so far is acknowledged or failed.
  virtual Status Flush(std::chrono::milliseconds timeout) = 0;

  // OK when a broker answers within `timeout` over this producer's own
  // connections (readiness); starts no client and no thread of its own.
  virtual Status Ping(std::chrono::milliseconds timeout) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_EVENT_PRODUCER_H_
