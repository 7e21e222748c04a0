// EventProducer over librdkafka: idempotent producer, acks=all, each
// message's callback run from the delivery report for that very message, on
// the producer's one reporter thread (the port's header has the contract).
// A message with no report by kafka.delivery_timeout_ms is answered
// kDeadlineExceeded by the reporter thread itself: librdkafka does not time
// out a message already sent to a broker that died (drill.kafka_kill saw no
// report for more than 10 s), and a caller is owed its answer.
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

  KafkaProducer(KafkaHandle handle, std::chrono::milliseconds delivery_timeout);
  void ServeDeliveryReports();
  // Answers kDeadlineExceeded every message past its deadline still unreported.
  void AnswerOverdue() EXCLUDES(deadlines_mu_);

  KafkaHandle handle_;
  const std::chrono::milliseconds delivery_timeout_;
  Mutex deadlines_mu_;
  // In the order produced; every message has the same timeout, so also in
  // deadline order.
  std::deque<Deadline> deadlines_ GUARDED_BY(deadlines_mu_);
  std::atomic<bool> stopping_{false};
  std::thread reporter_;  // serves delivery reports; the only caller of rd_kafka_poll
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_PRODUCER_H_
