// PartitionConsumer over librdkafka: a group member that never commits on its
// own (enable.auto.commit=false, enable.auto.offset.store=false).
//
// Thread safety: as the port's (wanderluxe/ports/event_consumer.h): one
// polling thread, on which the rebalance listener runs inside Poll; the
// queries and handle() for librdkafka's thread-safe calls from any thread.
#ifndef WANDERLUXE_ADAPTERS_KAFKA_KAFKA_CONSUMER_H_
#define WANDERLUXE_ADAPTERS_KAFKA_KAFKA_CONSUMER_H_

#include <chrono>
#include <memory>
#include <string>

#include "adapters/kafka/kafka_handle.h"
#include "wanderluxe/ports/event_consumer.h"

namespace wanderluxe {

class KafkaConsumer final : public PartitionConsumer {
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

  // A pause lasts until Resume or until the partition is revoked: a partition
  // assigned (again) is fetched (kFetchOnAssign), whatever its pause before.
  // Resuming a partition that is not paused does nothing.
  Status Pause(const std::vector<TopicPartition>& partitions) override;
  Status Resume(const std::vector<TopicPartition>& partitions) override;
  // A partition assigned while all are paused is paused as it is assigned;
  // ResumeAll resumes every paused partition, those Pause paused too.
  Status PauseAll() override;
  Status ResumeAll() override;

  // librdkafka's queries are thread-safe and do not touch the polling
  // thread's state.
  Result<Watermarks> QueryWatermarks(const TopicPartition& tp,
                                     std::chrono::milliseconds timeout) override;
  Result<int64_t> QueryCommitted(const TopicPartition& tp,
                                 std::chrono::milliseconds timeout) override;

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

// A message librdkafka delivered without error, copied out.
ConsumedEvent ToConsumedEvent(rd_kafka_message_t* message);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_CONSUMER_H_
