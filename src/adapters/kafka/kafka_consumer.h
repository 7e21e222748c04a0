// EventConsumer over librdkafka: a group member that never commits on its own
// (enable.auto.commit=false, enable.auto.offset.store=false).
#ifndef WANDERLUXE_ADAPTERS_KAFKA_KAFKA_CONSUMER_H_
#define WANDERLUXE_ADAPTERS_KAFKA_KAFKA_CONSUMER_H_

#include <memory>
#include <string>

#include "adapters/kafka/kafka_handle.h"
#include "wanderluxe/ports/event_consumer.h"

namespace wanderluxe {

class KafkaConsumer final : public EventConsumer {
 public:
  static Result<std::unique_ptr<KafkaConsumer>> Create(
      const KafkaConfig& config, const std::string& group_id,
      const std::map<std::string, std::string>& extra = {});
  ~KafkaConsumer() override;

  Status Subscribe(const std::vector<std::string>& topics) override;
  Result<std::optional<ConsumedEvent>> Poll(std::chrono::milliseconds timeout) override;
  Status Commit(const std::vector<CommitPoint>& points) override;
  void Close() override;

  rd_kafka_t* handle() { return handle_.get(); }

 private:
  explicit KafkaConsumer(KafkaHandle handle) : handle_(std::move(handle)) {}

  KafkaHandle handle_;
  bool closed_ = false;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_CONSUMER_H_
