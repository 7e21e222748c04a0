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
};

struct TopicOutcome {
  std::string name;
  bool created = false;  // false: it existed already
};

// Creates each topic that does not exist; an existing topic is left as it is.
Result<std::vector<TopicOutcome>> EnsureTopics(const KafkaConfig& config,
                                               const std::vector<TopicSpec>& topics);

// The topics our contract needs (ARCHITECTURE §3), from config.
std::vector<TopicSpec> BookingTopics(const KafkaConfig& config);

// Messages currently in `topic` (sum over partitions of high - low watermark).
Result<int64_t> CountMessages(const KafkaConfig& config, const std::string& topic,
                              std::chrono::milliseconds timeout);

// OK when a broker answers a metadata request within `timeout`.
Status PingKafka(const KafkaConfig& config, std::chrono::milliseconds timeout);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_ADMIN_H_
