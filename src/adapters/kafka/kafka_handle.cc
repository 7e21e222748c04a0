#include "adapters/kafka/kafka_handle.h"

#include <spdlog/spdlog.h>

namespace wanderluxe {
namespace {

// librdkafka's own log lines, routed through spdlog. Its debug lines come
// only when kafka.debug asked for them, so they are logged at info.
void LogCallback(const rd_kafka_t*, int level, const char* facility, const char* message) {
  if (level <= 3) {
    spdlog::error("kafka {}: {}", facility, message);
  } else if (level <= 4) {
    spdlog::warn("kafka {}: {}", facility, message);
  } else if (level >= 7) {
    spdlog::info("kafka {}: {}", facility, message);
  } else {
    spdlog::debug("kafka {}: {}", facility, message);
  }
}

}  // namespace

Result<KafkaConf> MakeKafkaConf(const KafkaConfig& config,
                                const std::map<std::string, std::string>& extra) {
  KafkaConf conf(rd_kafka_conf_new());
  std::map<std::string, std::string> props = {
      {"bootstrap.servers", config.brokers},
      {"client.id", config.client_id},
      {"socket.timeout.ms", std::to_string(config.request_timeout_ms)},
      {"log.connection.close", "false"},
  };
  if (!config.debug.empty()) props["debug"] = config.debug;
  props["security.protocol"] = config.security_protocol;
  if (config.security_protocol.rfind("sasl_", 0) == 0) {
    props["sasl.mechanism"] = config.sasl_mechanism;
    props["sasl.username"] = config.sasl_username;
    props["sasl.password"] = config.sasl_password;
  }
  if (!config.ssl_ca_location.empty()) props["ssl.ca.location"] = config.ssl_ca_location;
  for (const auto& [k, v] : extra) props[k] = v;
  char err[512];
  for (const auto& [k, v] : props) {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof(err)) != RD_KAFKA_CONF_OK) {
      const bool secret = k.find("password") != std::string::npos;
      return Status::InvalidArgument("kafka property " + k + "=" + (secret ? "<redacted>" : v) +
                                     ": " + err);
    }
  }
  rd_kafka_conf_set_log_cb(conf.get(), LogCallback);
  return conf;
}

Result<KafkaHandle> MakeKafkaHandle(rd_kafka_type_t type, KafkaConf conf) {
  char err[512];
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof(err));
  if (rk == nullptr) return Status::InvalidArgument(std::string("kafka client: ") + err);
  conf.release();  // rd_kafka_new owns it now
  return KafkaHandle(rk);
}

Status KafkaStatus(rd_kafka_resp_err_t err, const std::string& context) {
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return Status::Ok();
  std::string message = context + ": " + rd_kafka_err2str(err);
  switch (err) {
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return Status::DeadlineExceeded(message);
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return Status::ResourceExhausted(message);
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
      return Status::Unavailable(message);
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return Status::NotFound(message);
    default:
      return Status::Internal(message);
  }
}

}  // namespace wanderluxe
