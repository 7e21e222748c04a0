#include "adapters/kafka/kafka_topic_tail.h"

#include <unistd.h>

#include <algorithm>
#include <map>

#include "adapters/kafka/kafka_consumer.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};

// The number of partitions of `topic`: one metadata request within `timeout`.
Result<int> PartitionCount(rd_kafka_t* rk, const std::string& topic,
                           std::chrono::milliseconds timeout) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err =
      rd_kafka_metadata(rk, 0, rkt, &metadata, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "metadata for " + topic);
  int partitions = 0;
  if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    partitions = metadata->topics[0].partition_cnt;
  }
  rd_kafka_metadata_destroy(metadata);
  if (partitions == 0) return Status::NotFound("topic " + topic + " not found");
  return partitions;
}

}  // namespace

Result<std::unique_ptr<KafkaTopicTail>> KafkaTopicTail::Create(const KafkaConfig& config,
                                                               const std::string& topic) {
  // librdkafka's consumer wants a group.id for rd_kafka_consumer_poll; one of
  // this process's own, never joined (no subscribe) and never committed to.
  std::map<std::string, std::string> props = {
      {"group.id", "tail-" + topic + "-" + std::to_string(getpid()) + "-" + NewUuid()},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
  };
  auto conf = MakeKafkaConf(config, props);
  if (!conf.ok()) return conf.status();
  auto handle = MakeKafkaHandle(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!handle.ok()) return handle.status();
  rd_kafka_poll_set_consumer(handle->get());
  return std::unique_ptr<KafkaTopicTail>(new KafkaTopicTail(std::move(*handle), topic));
}

Status KafkaTopicTail::Assign(std::chrono::milliseconds timeout) {
  auto partitions = PartitionCount(handle_.get(), topic_, timeout);
  if (!partitions.ok()) return partitions.status();
  std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter> list(
      rd_kafka_topic_partition_list_new(*partitions));
  // Each partition's end as the broker says it now, not RD_KAFKA_OFFSET_END
  // (resolved later, when the fetch starts): every event published after
  // Assign returns is read.
  for (int p = 0; p < *partitions; ++p) {
    int64_t low = 0, high = 0;
    const rd_kafka_resp_err_t err = rd_kafka_query_watermark_offsets(
        handle_.get(), topic_.c_str(), p, &low, &high, static_cast<int>(timeout.count()));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "end of " + topic_);
    rd_kafka_topic_partition_list_add(list.get(), topic_.c_str(), p)->offset = high;
  }
  Status s = KafkaStatus(rd_kafka_assign(handle_.get(), list.get()), "assign " + topic_);
  if (s.ok()) partitions_ = *partitions;
  return s;
}

Result<std::optional<ConsumedEvent>> KafkaTopicTail::Poll(std::chrono::milliseconds timeout) {
  if (partitions_ == 0) {
    if (Status s = Assign(std::max(timeout, kAssignTimeout)); !s.ok()) return s;
    return std::optional<ConsumedEvent>();
  }
  std::unique_ptr<rd_kafka_message_t, MessageDeleter> message(
      rd_kafka_consumer_poll(handle_.get(), static_cast<int>(timeout.count())));
  if (!message || message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
    return std::optional<ConsumedEvent>();
  }
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR)
    return KafkaStatus(message->err, "tail " + topic_);
  return std::optional<ConsumedEvent>(ToConsumedEvent(message.get()));
}

}  // namespace wanderluxe
