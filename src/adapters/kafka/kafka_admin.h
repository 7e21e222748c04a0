// Topic administration through the Kafka Admin API.
#ifndef WANDERLUXE_ADAPTERS_KAFKA_KAFKA_ADMIN_H_
#define WANDERLUXE_ADAPTERS_KAFKA_KAFKA_ADMIN_H_

#include <chrono>
#include <string>
#include <vector>

#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

struct TopicSpec {
  std::string name;
  int partitions = 1;
  int replication_factor = 1;
  int min_insync_replicas = 1;  // set as the topic's min.insync.replicas
};

// What the broker says an existing topic has.
struct TopicSettings {
  int partitions = 0;
  int replication_factor = 0;   // the fewest replicas of any partition
  int min_insync_replicas = 0;  // the topic's effective min.insync.replicas
};

struct TopicOutcome {
  std::string name;
  bool created = false;  // false: it existed already
};

// Creates each topic that does not exist; an existing topic is left as it is.
Result<std::vector<TopicOutcome>> EnsureTopics(const KafkaConfig& config,
                                               const std::vector<TopicSpec>& topics);

// The partitions and replicas of `topic` (metadata) and its
// min.insync.replicas (DescribeConfigs). NotFound when it does not exist.
Result<TopicSettings> DescribeTopic(const KafkaConfig& config, const std::string& topic,
                                    std::chrono::milliseconds timeout);

// Deletes `topics`; one already gone is not an error. For tests.
Status DeleteTopics(const KafkaConfig& config, const std::vector<std::string>& topics);

// The topics our contract needs (docs/contract.md "Kafka"), from config.
std::vector<TopicSpec> BookingTopics(const KafkaConfig& config);

// Messages currently in `topic` (sum over partitions of high - low watermark).
Result<int64_t> CountMessages(const KafkaConfig& config, const std::string& topic,
                              std::chrono::milliseconds timeout);

// OK when a broker answers a metadata request within `timeout`.
Status PingKafka(const KafkaConfig& config, std::chrono::milliseconds timeout);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_ADMIN_H_
