// Readiness of the gateway's dependencies (GET /readyz), asked through the
// gateway's own long-lived Redis client and Kafka producer: a probe never
// builds a client, so a burst of probes costs no threads and no connections.
// One check runs at a time and its answer serves every probe for the next
// `refresh`: a hundred probes at once make one check, and each waits at most
// for the one in flight.
#ifndef WANDERLUXE_ROLES_GATEWAY_READINESS_PROBE_H_
#define WANDERLUXE_ROLES_GATEWAY_READINESS_PROBE_H_

#include <chrono>

#include "adapters/redis/redis_commands.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/status.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {

struct Readiness {
  Status redis;
  Status kafka;

  bool ready() const { return redis.ok() && kafka.ok(); }
};

class ReadinessProbe {
 public:
  // `kafka_timeout` bounds the broker's answer; `refresh` is how long a check's
  // answer is served before the next probe checks again.
  ReadinessProbe(RedisCommands& redis, EventProducer& producer,
                 std::chrono::milliseconds kafka_timeout, std::chrono::milliseconds refresh);

  // Thread-safe.
  Readiness Check();

 private:
  using Clock = std::chrono::steady_clock;

  RedisCommands& redis_;
  EventProducer& producer_;
  const std::chrono::milliseconds kafka_timeout_;
  const std::chrono::milliseconds refresh_;

  Mutex mu_;  // held across a check: concurrent probes wait for it, then share its answer
  Readiness last_ GUARDED_BY(mu_);
  Clock::time_point checked_at_ GUARDED_BY(mu_);
  bool checked_ GUARDED_BY(mu_) = false;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_GATEWAY_READINESS_PROBE_H_
