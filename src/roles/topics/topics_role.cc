#include "roles/topics/topics_role.h"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "adapters/kafka/kafka_admin.h"

namespace wanderluxe {

int RunTopicsEnsure(const RoleContext& context) {
  const KafkaConfig& kafka = context.config.kafka;
  auto outcomes = EnsureTopics(kafka, BookingTopics(kafka));
  if (!outcomes.ok()) {
    spdlog::error("topics ensure against {} failed: {}", kafka.brokers,
                  outcomes.status().ToString());
    return kExitFailure;
  }
  for (const auto& o : *outcomes) {
    std::printf("%-24s %s\n", o.name.c_str(), o.created ? "created" : "exists");
  }
  return kExitOk;
}

}  // namespace wanderluxe
