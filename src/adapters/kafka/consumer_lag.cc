#include "adapters/kafka/consumer_lag.h"

namespace wanderluxe {

std::vector<PartitionLag> ConsumerLag(rd_kafka_t* consumer) {
  std::vector<PartitionLag> out;
  rd_kafka_topic_partition_list_t* assigned = nullptr;
  if (rd_kafka_assignment(consumer, &assigned) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  rd_kafka_position(consumer, assigned);
  for (int i = 0; i < assigned->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = assigned->elems[i];
    int64_t low = 0, high = 0;
    int64_t lag = -1;
    if (rd_kafka_get_watermark_offsets(consumer, tp.topic, tp.partition, &low, &high) ==
            RD_KAFKA_RESP_ERR_NO_ERROR &&
        high >= 0) {
      // Before the first fetch the position is unknown: count from the low mark.
      lag = high - (tp.offset >= 0 ? tp.offset : low);
    }
    out.push_back({tp.topic, tp.partition, lag});
  }
  rd_kafka_topic_partition_list_destroy(assigned);
  return out;
}

void PublishConsumerLag(rd_kafka_t* consumer, MetricsRegistry& metrics, const std::string& metric) {
  for (const PartitionLag& p : ConsumerLag(consumer)) {
    metrics
        .GetGauge(metric, "messages behind the end of the partition",
                  "topic=\"" + p.topic + "\",partition=\"" + std::to_string(p.partition) + "\"")
        ->Set(p.lag);
  }
}

}  // namespace wanderluxe
