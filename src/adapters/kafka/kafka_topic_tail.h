// TopicTail over librdkafka: a consumer that assigns itself every partition
// of one topic at its end (rd_kafka_assign at each high watermark) and never
// subscribes, so it joins no group and commits nothing (enable.auto.commit
// off; its group.id, unique to the process, is never used). The topic's
// partitions are looked up on the first Poll, and again on each Poll until
// the lookup succeeds, so a gateway starts while Kafka is away. Partitions
// added to the topic later are read after a restart.
//
// Thread safety: as the port's (wanderluxe/ports/topic_tail.h): one polling
// thread.
#ifndef WANDERLUXE_ADAPTERS_KAFKA_KAFKA_TOPIC_TAIL_H_
#define WANDERLUXE_ADAPTERS_KAFKA_KAFKA_TOPIC_TAIL_H_

#include <chrono>
#include <memory>
#include <string>

#include "adapters/kafka/kafka_handle.h"
#include "wanderluxe/ports/topic_tail.h"

namespace wanderluxe {

class KafkaTopicTail final : public TopicTail {
 public:
  static Result<std::unique_ptr<KafkaTopicTail>> Create(const KafkaConfig& config,
                                                        const std::string& topic);

  // Before its partitions are assigned, a Poll spends up to
  // max(timeout, kAssignTimeout) assigning them: a first metadata request
  // includes connecting to a broker.
  static constexpr std::chrono::milliseconds kAssignTimeout{2000};
  Result<std::optional<ConsumedEvent>> Poll(std::chrono::milliseconds timeout) override;

  // Partitions assigned so far (0 until the lookup succeeded); once positive,
  // every event published from then on is read.
  int partitions() const { return partitions_; }

 private:
  KafkaTopicTail(KafkaHandle handle, std::string topic)
      : handle_(std::move(handle)), topic_(std::move(topic)) {}

  // Assigns every partition of the topic from its end, within `timeout`.
  Status Assign(std::chrono::milliseconds timeout);

  KafkaHandle handle_;
  const std::string topic_;
  int partitions_ = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_TOPIC_TAIL_H_
