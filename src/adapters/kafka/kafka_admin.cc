#include "adapters/kafka/kafka_admin.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <thread>

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
using Resource =
    std::unique_ptr<rd_kafka_ConfigResource_t,
                    Deleter<rd_kafka_ConfigResource_t, rd_kafka_ConfigResource_destroy>>;

// Admin options for `op` with both timeouts set to `timeout_ms`.
Options AdminOptions(rd_kafka_t* rk, rd_kafka_admin_op_t op, int timeout_ms) {
  char err[512];
  Options options(rd_kafka_AdminOptions_new(rk, op));
  rd_kafka_AdminOptions_set_request_timeout(options.get(), timeout_ms, err, sizeof(err));
  if (op != RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS) {  // it has no operation timeout
    rd_kafka_AdminOptions_set_operation_timeout(options.get(), timeout_ms, err, sizeof(err));
  }
  return options;
}

// The topic's min.insync.replicas as the broker applies it (its own default
// when the topic has none set).
Result<int> DescribeMinInsync(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  Resource resource(rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, topic.c_str()));
  rd_kafka_ConfigResource_t* resources[] = {resource.get()};
  Options options = AdminOptions(rk, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, timeout_ms);
  Queue queue(rd_kafka_queue_new(rk));
  rd_kafka_DescribeConfigs(rk, resources, 1, options.get(), queue.get());
  Event event(rd_kafka_queue_poll(queue.get(), timeout_ms + 5000));
  if (!event) return Status::DeadlineExceeded("describe configs of " + topic + ": no answer");
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(rd_kafka_event_error(event.get()), "describe configs of " + topic);
  }
  size_t count = 0;
  const rd_kafka_ConfigResource_t** results = rd_kafka_DescribeConfigs_result_resources(
      rd_kafka_event_DescribeConfigs_result(event.get()), &count);
  if (count != 1) return Status::Internal("describe configs of " + topic + ": no resource");
  if (rd_kafka_ConfigResource_error(results[0]) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(rd_kafka_ConfigResource_error(results[0]), "describe configs of " + topic);
  }
  size_t entries = 0;
  const rd_kafka_ConfigEntry_t** configs = rd_kafka_ConfigResource_configs(results[0], &entries);
  for (size_t i = 0; i < entries; ++i) {
    if (std::string(rd_kafka_ConfigEntry_name(configs[i])) != "min.insync.replicas") continue;
    const char* value = rd_kafka_ConfigEntry_value(configs[i]);
    if (value == nullptr) break;
    return std::atoi(value);
  }
  return Status::Internal("describe configs of " + topic + ": no min.insync.replicas");
}

// One metadata request for `topic`: its partitions and the fewest replicas of
// any. NotFound while the broker does not know it (yet).
Result<TopicSettings> DescribeReplicas(rd_kafka_t* rk, const std::string& topic, int timeout_ms) {
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* metadata = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &metadata, timeout_ms);
  rd_kafka_topic_destroy(rkt);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "metadata for " + topic);
  TopicSettings settings;
  if (metadata->topic_cnt == 1 && metadata->topics[0].err == RD_KAFKA_RESP_ERR_NO_ERROR &&
      metadata->topics[0].partition_cnt > 0) {
    const rd_kafka_metadata_topic_t& t = metadata->topics[0];
    settings.partitions = t.partition_cnt;
    settings.replication_factor = t.partitions[0].replica_cnt;
    for (int i = 1; i < t.partition_cnt; ++i) {
      settings.replication_factor =
          std::min(settings.replication_factor, t.partitions[i].replica_cnt);
    }
  }
  rd_kafka_metadata_destroy(metadata);
  if (settings.partitions == 0) return Status::NotFound("topic " + topic + " not found");
  return settings;
}

Result<TopicSettings> DescribeTopic(rd_kafka_t* rk, const std::string& topic,
                                    std::chrono::milliseconds timeout) {
  // A topic just created may take a moment to reach the broker's metadata.
  constexpr std::chrono::milliseconds kRetry{100};
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const int timeout_ms = static_cast<int>(timeout.count());
  Result<TopicSettings> settings = DescribeReplicas(rk, topic, timeout_ms);
  while (!settings.ok() && settings.status().code() == StatusCode::kNotFound &&
         std::chrono::steady_clock::now() + kRetry < deadline) {
    std::this_thread::sleep_for(kRetry);
    settings = DescribeReplicas(rk, topic, timeout_ms);
  }
  if (!settings.ok()) return settings.status();
  auto min_insync = DescribeMinInsync(rk, topic, timeout_ms);
  if (!min_insync.ok()) return min_insync.status();
  settings->min_insync_replicas = *min_insync;
  return settings;
}

// Refuses an existing topic weaker than `spec`, naming both values.
Status CheckNotWeaker(const TopicSpec& spec, const TopicSettings& actual) {
  auto weaker = [&](const char* setting, int has, int configured, const char* key) {
    return Status::FailedPrecondition("topic " + spec.name + " has " + setting + " " +
                                      std::to_string(has) + ", below the configured " +
                                      std::to_string(configured) + " (" + key +
                                      "): refusing a topic weaker than configured");
  };
  if (actual.replication_factor < spec.replication_factor) {
    return weaker("replication factor", actual.replication_factor, spec.replication_factor,
                  "kafka.replication_factor");
  }
  if (actual.min_insync_replicas < spec.min_insync_replicas) {
    return weaker("min.insync.replicas", actual.min_insync_replicas, spec.min_insync_replicas,
                  "kafka.min_insync_replicas");
  }
  return Status::Ok();
}

}  // namespace

std::vector<TopicSpec> BookingTopics(const KafkaConfig& config) {
  const int partitions = static_cast<int>(config.partitions);
  const int replication = static_cast<int>(config.replication_factor);
  const int min_insync = static_cast<int>(config.min_insync_replicas);
  return {{config.requests_topic, partitions, replication, min_insync},
          {config.outcomes_topic, partitions, replication, min_insync},
          {config.dlq_topic, 1, replication, min_insync}};
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
    rd_kafka_NewTopic_set_config(nt, "min.insync.replicas",
                                 std::to_string(t.min_insync_replicas).c_str());
  }
  const int timeout_ms = static_cast<int>(config.admin_timeout_ms);
  Options options = AdminOptions(handle->get(), RD_KAFKA_ADMIN_OP_CREATETOPICS, timeout_ms);
  Queue queue(rd_kafka_queue_new(handle->get()));
  rd_kafka_CreateTopics(handle->get(), requests.data(), requests.size(), options.get(),
                        queue.get());
  rd_kafka_NewTopic_destroy_array(requests.data(), requests.size());

  // The admin request carries its own timeout; wait a little longer for its answer.
  Event event(rd_kafka_queue_poll(queue.get(), timeout_ms + 5000));
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
  // A topic that existed is kept only if it is at least as strong as asked:
  // acks=all is as durable as the topic's replicas and min.insync.replicas.
  for (const TopicOutcome& outcome : outcomes) {
    if (outcome.created) continue;
    auto spec = std::find_if(topics.begin(), topics.end(),
                             [&](const TopicSpec& t) { return t.name == outcome.name; });
    if (spec == topics.end()) continue;
    auto actual = DescribeTopic(handle->get(), outcome.name, std::chrono::milliseconds(timeout_ms));
    if (!actual.ok()) return actual.status();
    if (Status s = CheckNotWeaker(*spec, *actual); !s.ok()) return s;
  }
  return outcomes;
}

Result<TopicSettings> DescribeTopic(const KafkaConfig& config, const std::string& topic,
                                    std::chrono::milliseconds timeout) {
  auto conf = MakeKafkaConf(config, {});
  if (!conf.ok()) return conf.status();
  auto handle = MakeKafkaHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!handle.ok()) return handle.status();
  return DescribeTopic(handle->get(), topic, timeout);
}

Status DeleteTopics(const KafkaConfig& config, const std::vector<std::string>& topics) {
  if (topics.empty()) return Status::Ok();
  auto conf = MakeKafkaConf(config, {});
  if (!conf.ok()) return conf.status();
  auto handle = MakeKafkaHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!handle.ok()) return handle.status();
  std::vector<rd_kafka_DeleteTopic_t*> requests;
  for (const auto& t : topics) requests.push_back(rd_kafka_DeleteTopic_new(t.c_str()));
  const int timeout_ms = static_cast<int>(config.admin_timeout_ms);
  Options options = AdminOptions(handle->get(), RD_KAFKA_ADMIN_OP_DELETETOPICS, timeout_ms);
  Queue queue(rd_kafka_queue_new(handle->get()));
  rd_kafka_DeleteTopics(handle->get(), requests.data(), requests.size(), options.get(),
                        queue.get());
  rd_kafka_DeleteTopic_destroy_array(requests.data(), requests.size());
  Event event(rd_kafka_queue_poll(queue.get(), timeout_ms + 5000));
  if (!event) return Status::DeadlineExceeded("delete topics: no answer from Kafka");
  if (rd_kafka_event_error(event.get()) != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(rd_kafka_event_error(event.get()), "delete topics");
  }
  size_t count = 0;
  const rd_kafka_topic_result_t** results =
      rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(event.get()), &count);
  for (size_t i = 0; i < count; ++i) {
    const rd_kafka_resp_err_t topic_err = rd_kafka_topic_result_error(results[i]);
    if (topic_err != RD_KAFKA_RESP_ERR_NO_ERROR &&
        topic_err != RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
      return KafkaStatus(topic_err,
                         std::string("delete topic ") + rd_kafka_topic_result_name(results[i]));
    }
  }
  return Status::Ok();
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
