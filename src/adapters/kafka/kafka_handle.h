// Shared plumbing for the librdkafka C API: owning handles and configuration
// from our KafkaConfig. The C API is used (not rdkafka++) because only it has
// the Admin API and per-message opaques without virtual callbacks.
#ifndef WANDERLUXE_ADAPTERS_KAFKA_KAFKA_HANDLE_H_
#define WANDERLUXE_ADAPTERS_KAFKA_KAFKA_HANDLE_H_

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <string>

#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

struct KafkaHandleDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using KafkaHandle = std::unique_ptr<rd_kafka_t, KafkaHandleDeleter>;

struct KafkaConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using KafkaConf = std::unique_ptr<rd_kafka_conf_t, KafkaConfDeleter>;

// Client configuration common to every role, plus `extra` librdkafka properties.
Result<KafkaConf> MakeKafkaConf(const KafkaConfig& config,
                                const std::map<std::string, std::string>& extra);

// Creates a client; takes ownership of `conf` whether or not it succeeds.
Result<KafkaHandle> MakeKafkaHandle(rd_kafka_type_t type, KafkaConf conf);

// A librdkafka error as a Status, transient errors mapped to kUnavailable.
Status KafkaStatus(rd_kafka_resp_err_t err, const std::string& context);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_HANDLE_H_
