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

// A partition's first offset and the offset its next event will take.
struct Watermarks {
  int64_t low = -1;
  int64_t high = -1;
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
  // group does not think we died (max.poll.interval.ms). A pause lasts until
  // Resume or until the partition is revoked: a partition assigned (again)
  // is fetched (kFetchOnAssign), whatever its pause before. Resuming a
  // partition that is not paused does nothing.
  Status Pause(const std::vector<TopicPartition>& partitions);
  Status Resume(const std::vector<TopicPartition>& partitions);

  // Asked of the broker, within `timeout`; from any thread (librdkafka's
  // queries are thread-safe and do not touch the polling thread's state).
  Result<Watermarks> QueryWatermarks(const TopicPartition& tp, std::chrono::milliseconds timeout);
  // The group's committed offset of `tp`, -1 when it has none.
  Result<int64_t> QueryCommitted(const TopicPartition& tp, std::chrono::milliseconds timeout);

  rd_kafka_t* handle() { return handle_.get(); }

  struct RebalanceState;

 private:
  KafkaConsumer(KafkaHandle handle, std::unique_ptr<RebalanceState> rebalance,
                std::chrono::milliseconds commit_timeout);

  // Declared before the handle: librdkafka's callbacks use it until the
  // handle is destroyed.
  std::unique_ptr<RebalanceState> rebalance_;
  KafkaHandle handle_;
  const std::chrono::milliseconds commit_timeout_;
  bool closed_ = false;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_CONSUMER_H_
