// EventConsumer over librdkafka: a group member that never commits on its own
// (enable.auto.commit=false, enable.auto.offset.store=false).
#ifndef WANDERLUXE_ADAPTERS_KAFKA_KAFKA_CONSUMER_H_
#define WANDERLUXE_ADAPTERS_KAFKA_KAFKA_CONSUMER_H_

#include <chrono>
#include <memory>
#include <string>

#include "adapters/kafka/kafka_handle.h"
#include "wanderluxe/ports/event_consumer.h"

namespace wanderluxe {

struct TopicPartition {
  std::string topic;
  int32_t partition = 0;
  bool operator<(const TopicPartition& o) const {
    return topic < o.topic || (topic == o.topic && partition < o.partition);
  }
  bool operator==(const TopicPartition&) const = default;
};

// Told about rebalances, on the polling thread, inside Poll. OnRevoked runs
// before the partitions are given up: the place to drain and commit them.
class RebalanceListener {
 public:
  virtual ~RebalanceListener() = default;
  virtual void OnAssigned(const std::vector<TopicPartition>& partitions) = 0;
  virtual void OnRevoked(const std::vector<TopicPartition>& partitions) = 0;
};

class KafkaConsumer final : public EventConsumer {
 public:
  // `listener`, when given, must outlive the consumer.
  static Result<std::unique_ptr<KafkaConsumer>> Create(
      const KafkaConfig& config, const std::string& group_id,
      const std::map<std::string, std::string>& extra = {}, RebalanceListener* listener = nullptr);
  ~KafkaConsumer() override;

  Status Subscribe(const std::vector<std::string>& topics) override;
  Result<std::optional<ConsumedEvent>> Poll(std::chrono::milliseconds timeout) override;
  // Waits at most kafka.commit_timeout_ms for the broker's answer; past it
  // kDeadlineExceeded, and librdkafka may still send the commit later.
  Status Commit(const std::vector<CommitPoint>& points) override;
  void Close() override;

  // Stops / restarts fetching from these partitions; polling goes on, so the
  // group does not think we died (max.poll.interval.ms).
  Status Pause(const std::vector<TopicPartition>& partitions);
  Status Resume(const std::vector<TopicPartition>& partitions);

  rd_kafka_t* handle() { return handle_.get(); }

 private:
  KafkaConsumer(KafkaHandle handle, std::chrono::milliseconds commit_timeout)
      : handle_(std::move(handle)), commit_timeout_(commit_timeout) {}

  KafkaHandle handle_;
  const std::chrono::milliseconds commit_timeout_;
  bool closed_ = false;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_CONSUMER_H_
