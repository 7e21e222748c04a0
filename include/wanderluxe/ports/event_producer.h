// Port: publishes events durably. Implemented by adapters/kafka; faked in tests/.
//
// Thread safety: Publish and Flush may run concurrently from any number of
// threads (every gateway request thread, every saga worker share one
// producer). KafkaProducer hands each message to librdkafka, which is
// thread-safe, and each Publish waits on its own delivery report, served by the
// producer's one reporter thread. Destroying the producer must wait until no
// call is running.
#ifndef WANDERLUXE_PORTS_EVENT_PRODUCER_H_
#define WANDERLUXE_PORTS_EVENT_PRODUCER_H_

#include <chrono>
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

class EventProducer {
 public:
  virtual ~EventProducer() = default;

  // Returns OK only once the broker acknowledged the event durably (acks=all).
  // Any other outcome, including the deadline passing, is an error: the event
  // may or may not have been written, and the caller must not claim it was.
  virtual Status Publish(const OutgoingEvent& event, std::chrono::milliseconds timeout) = 0;

  // Waits until every event handed over so far is acknowledged or failed.
  virtual Status Flush(std::chrono::milliseconds timeout) = 0;

  // OK when a broker answers within `timeout` over this producer's own
  // connections (readiness); starts no client and no thread of its own.
  virtual Status Ping(std::chrono::milliseconds timeout) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_EVENT_PRODUCER_H_
