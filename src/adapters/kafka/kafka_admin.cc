#include "adapters/kafka/kafka_admin.h"

#include <memory>

#include "adapters/kafka/kafka_handle.h"

namespace wanderluxe {
namespace {

template <typename T, void (*Destroy)(T*)>
struct Deleter {
  void operator()(T* p) const { Destroy(p); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, Deleter<rd_kafka_queue_t, rd_kafka_queue_destroy>>;
using Event = std::unique_ptr<rd_kafka_event_t, Deleter<rd_kafka_event_t, rd_kafka_event_destroy>>;
using Options = std::unique_ptr<rd_kafka_AdminOptions_t,
                                Deleter<rd_kafka_AdminOptions_t, rd_kafka_AdminOptions_destroy>>;

}  // namespace

std::vector<TopicSpec> BookingTopics(const KafkaConfig& config) {
  const int partitions = static_cast<int>(config.partitions);
  const int replication = static_cast<int>(config.replication_factor);
  return {{config.requests_topic, partitions, replication},
          {config.outcomes_topic, partitions, replication},
          {config.dlq_topic, 1, replication}};
}

Result<std::vector<TopicOutcome>> EnsureTopics(const KafkaConfig& config,
                                               const std::vector<TopicSpec>& topics) {
  auto conf = MakeKafkaConf(config, {});
  if (!conf.ok()) return conf.status();
  auto handle = MakeKafkaHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!handle.ok()) return handle.status();

  char err[512];
  std::vector<rd_kafka_NewTopic_t*> requests;
  for (const auto& t : topics) {
    rd_kafka_NewTopic_t* nt =
        rd_kafka_NewTopic_new(t.name.c_str(), t.partitions, t.replication_factor, err, sizeof(err));
    if (nt == nullptr) {
      rd_kafka_NewTopic_destroy_array(requests.data(), requests.size());
      return Status::InvalidArgument("topic " + t.name + ": " + err);
    }
    requests.push_back(nt);
  }
  Options options(rd_kafka_AdminOptions_new(handle->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS));
  rd_kafka_AdminOptions_set_operation_timeout(
      options.get(), static_cast<int>(config.admin_timeout_ms), err, sizeof(err));
  rd_kafka_AdminOptions_set_request_timeout(
      options.get(), static_cast<int>(config.admin_timeout_ms), err, sizeof(err));
  Queue queue(rd_kafka_queue_new(handle->get()));
  rd_kafka_CreateTopics(handle->get(), requests.data(), requests.size(), options.get(),
                        queue.get());
  rd_kafka_NewTopic_destroy_array(requests.data(), requests.size());

  // The admin request carries its own timeout; wait a little longer for its answer.
  Event event(rd_kafka_queue_poll(queue.get(), static_cast<int>(config.admin_timeout_ms + 5000)));
  if (!event) return Status::DeadlineExceeded("create topics: no answer from Kafka");
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(rd_kafka_event_error(event.get()), "create topics");
  }
  const rd_kafka_CreateTopics_result_t* result = rd_kafka_event_CreateTopics_result(event.get());
  size_t count = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &count);
  std::vector<TopicOutcome> outcomes;
  for (size_t i = 0; i < count; ++i) {
    const std::string name = rd_kafka_topic_result_name(results[i]);
    rd_kafka_resp_err_t topic_err = rd_kafka_topic_result_error(results[i]);
    if (topic_err == RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      outcomes.push_back({name, false});
    } else if (topic_err == RD_KAFKA_RESP_ERR_NO_ERROR) {
      outcomes.push_back({name, true});
    } else {
      const char* detail = rd_kafka_topic_result_error_string(results[i]);
      return KafkaStatus(topic_err,
                         "create topic " + name + (detail ? std::string(" (") + detail + ")" : ""));
    }
  }
  return outcomes;
}

Result<int64_t> CountMessages(const KafkaConfig& config, const std::string& topic,
                              std::chrono::milliseconds timeout) {
  auto conf = MakeKafkaConf(config, {});
  if (!conf.ok()) return conf.status();
  auto handle = MakeKafkaHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!handle.ok()) return handle.status();
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(handle->get(), topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(handle->get(), 0, rkt, &metadata, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "metadata for " + topic);
  int64_t total = 0;
  Status status;
  if (metadata->topic_cnt != 1 || metadata->topics[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    status = Status::NotFound("topic " + topic + " not found");
  } else {
    for (int i = 0; i < metadata->topics[0].partition_cnt && status.ok(); ++i) {
      int64_t low = 0, high = 0;
      err = rd_kafka_query_watermark_offsets(handle->get(), topic.c_str(),
                                             metadata->topics[0].partitions[i].id, &low, &high,
                                             static_cast<int>(timeout.count()));
      if (err != RD_KAFKA_RESP_ERR_NO_ERROR) status = KafkaStatus(err, "watermarks of " + topic);
      total += high - low;
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (!status.ok()) return status;
  return total;
}

Status PingKafka(const KafkaConfig& config, std::chrono::milliseconds timeout) {
  auto conf = MakeKafkaConf(config, {});
  if (!conf.ok()) return conf.status();
  // A refused SASL login comes as an error callback, not as the metadata
  // call's error (that only times out): the callback says why.
  std::string refused;
  rd_kafka_conf_set_opaque(conf->get(), &refused);
  rd_kafka_conf_set_error_cb(conf->get(),
                             [](rd_kafka_t*, int err, const char* reason, void* opaque) {
                               if (err == RD_KAFKA_RESP_ERR__AUTHENTICATION)
                                 *static_cast<std::string*>(opaque) = reason;
                             });
  auto handle = MakeKafkaHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!handle.ok()) return handle.status();
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err =
      rd_kafka_metadata(handle->get(), 0, nullptr, &metadata, static_cast<int>(timeout.count()));
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  rd_kafka_poll(handle->get(), 0);  // serves the error callbacks queued meanwhile
  if (!refused.empty()) {
    return Status::FailedPrecondition(
        "kafka at " + config.brokers + " refused SASL authentication as user '" +
        config.sasl_username + "': " + refused +
        " (check kafka.sasl_username, kafka.sasl_password and kafka.sasl_mechanism)");
  }
  return KafkaStatus(err, "kafka at " + config.brokers);
}

}  // namespace wanderluxe
