// EventProducer over librdkafka: idempotent producer, acks=all, each
// message's callback run from the delivery report for that very message, on
// the producer's one reporter thread (the port's header has the contract).
// A report's verdict is librdkafka's persistence status of the message: only
// NOT_PERSISTED is "certainly not written"; a message that reached a broker
// and was not acknowledged (POSSIBLY_PERSISTED) may be in the log, or be
// appended later by a broker that was stalled, so it is an unknown outcome.
// A message with no report by LongestPublishMs is answered "unknown" by the
// reporter thread itself, a safety net that librdkafka's own timeouts keep
// from firing: a caller is owed its answer even if a report were lost.
#ifndef WANDERLUXE_ADAPTERS_KAFKA_KAFKA_PRODUCER_H_
#define WANDERLUXE_ADAPTERS_KAFKA_KAFKA_PRODUCER_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <thread>

#include "adapters/kafka/kafka_handle.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {

class KafkaProducer final : public EventProducer {
 public:
  static Result<std::unique_ptr<KafkaProducer>> Create(const KafkaConfig& config);
  ~KafkaProducer() override;

  void PublishAsync(OutgoingEvent event, PublishCallback done) override;
  Status Publish(const OutgoingEvent& event, std::chrono::milliseconds timeout) override;
  Status Flush(std::chrono::milliseconds timeout) override;
  Status Ping(std::chrono::milliseconds timeout) override;

  struct Answer;  // a message's callback, answered once: by its report or its deadline

 private:
  struct Deadline {
    std::chrono::steady_clock::time_point at;
    std::shared_ptr<Answer> answer;
  };

  KafkaProducer(KafkaHandle handle, std::chrono::milliseconds verdict_deadline);
  void ServeDeliveryReports();
  // Answers kDeadlineExceeded (unknown) every message past its deadline still
  // unreported.
  void AnswerOverdue() EXCLUDES(deadlines_mu_);

  KafkaHandle handle_;
  const std::chrono::milliseconds verdict_deadline_;  // LongestPublishMs
  Mutex deadlines_mu_;
  // In the order produced; every message has the same timeout, so also in
  // deadline order.
  std::deque<Deadline> deadlines_ GUARDED_BY(deadlines_mu_);
  std::atomic<bool> stopping_{false};
  std::thread reporter_;  // serves delivery reports; the only caller of rd_kafka_poll
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_PRODUCER_H_
