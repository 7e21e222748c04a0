// EventProducer over librdkafka: idempotent producer, acks=all, each
// message's callback run from the delivery report for that very message, on
// the producer's one reporter thread (the port's header has the contract).
#ifndef WANDERLUXE_ADAPTERS_KAFKA_KAFKA_PRODUCER_H_
#define WANDERLUXE_ADAPTERS_KAFKA_KAFKA_PRODUCER_H_

#include <atomic>
#include <memory>
#include <thread>

#include "adapters/kafka/kafka_handle.h"
#include "wanderluxe/ports/event_producer.h"

namespace wanderluxe {

class KafkaProducer final : public EventProducer {
 public:
  static Result<std::unique_ptr<KafkaProducer>> Create(const KafkaConfig& config);
  ~KafkaProducer() override;

  void PublishAsync(OutgoingEvent event, PublishCallback done) override;
  Status Publish(const OutgoingEvent& event, std::chrono::milliseconds timeout) override;
  Status Flush(std::chrono::milliseconds timeout) override;
  Status Ping(std::chrono::milliseconds timeout) override;

 private:
  explicit KafkaProducer(KafkaHandle handle);
  void ServeDeliveryReports();

  KafkaHandle handle_;
  std::atomic<bool> stopping_{false};
  std::thread reporter_;  // serves delivery reports; the only caller of rd_kafka_poll
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_PRODUCER_H_
