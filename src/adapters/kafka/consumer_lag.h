// Consumer lag per assigned partition, from the client's cached watermarks
// (no broker round trip): high watermark minus the consumer's position.
#ifndef WANDERLUXE_ADAPTERS_KAFKA_CONSUMER_LAG_H_
#define WANDERLUXE_ADAPTERS_KAFKA_CONSUMER_LAG_H_

#include <librdkafka/rdkafka.h>

#include <cstdint>
#include <string>
#include <vector>

#include "wanderluxe/metrics.h"

namespace wanderluxe {

struct PartitionLag {
  std::string topic;
  int32_t partition = 0;
  int64_t lag = 0;  // -1 when not yet known
};

std::vector<PartitionLag> ConsumerLag(rd_kafka_t* consumer);

// Sets `<metric>{topic,partition}` gauges in `metrics` from ConsumerLag.
void PublishConsumerLag(rd_kafka_t* consumer, MetricsRegistry& metrics, const std::string& metric);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_CONSUMER_LAG_H_
