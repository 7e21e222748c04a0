#include "roles/gateway/gateway_role.h"

#include <spdlog/spdlog.h>

#include "adapters/kafka/kafka_producer.h"
#include "adapters/kafka/kafka_topic_tail.h"
#include "adapters/redis/redis_connect.h"
#include "adapters/redis/redis_inventory_store.h"
#include "roles/common/credentials_check.h"
#include "roles/common/termination.h"
#include "roles/gateway/gateway_server.h"

namespace wanderluxe {
namespace {

int RunGateway(const RoleContext& context) {
  BlockTerminationSignals();  // before any thread exists
  const Config& config = context.config;
  if (Status s = CheckCredentials(config, /*uses_redis=*/true); !s.ok()) {
    spdlog::error("gateway cannot start: {}", s.ToString());
    return kExitFailure;
  }
  auto keys = ClientKeys::Load(config.gateway);
  if (!keys.ok()) {
    spdlog::error("gateway API keys: {}", keys.status().ToString());
    return kExitFailure;
  }
  auto producer = KafkaProducer::Create(config.kafka);
  if (!producer.ok()) {
    spdlog::error("kafka producer: {}", producer.status().ToString());
    return kExitFailure;
  }
  // The outcomes, to wake reads that wait for one: every partition from its
  // end, no consumer group (each gateway needs every outcome).
  auto outcomes = KafkaTopicTail::Create(config.kafka, config.kafka.outcomes_topic);
  if (!outcomes.ok()) {
    spdlog::error("kafka outcomes reader: {}", outcomes.status().ToString());
    return kExitFailure;
  }
  // Redis connects lazily, and the outcomes are found on the first read: the
  // gateway starts (and says not ready) while they are away, rather than
  // crash-looping.
  std::unique_ptr<RedisCommands> redis = CreateRedis(config.redis);
  RedisInventoryStore inventory(*redis);
  GatewayServer server(config, {redis.get(), producer->get(), &inventory, outcomes->get(), *keys});
  if (*keys != nullptr) spdlog::info("gateway: api-key mode, {} key(s)", (*keys)->size());
  if (Status s = server.Start(); !s.ok()) {
    spdlog::error("gateway cannot start: {}", s.ToString());
    return kExitFailure;
  }
  spdlog::info("gateway listening on {}:{}", config.gateway.listen_host, server.port());
  std::optional<int> signo;
  while (!(signo = WaitForTermination(std::chrono::seconds(1)))) {
  }
  spdlog::info("signal {}: draining requests in flight", *signo);
  server.Stop();
  Status flushed = (*producer)->Flush(std::chrono::milliseconds(config.kafka.delivery_timeout_ms));
  if (!flushed.ok()) spdlog::warn("producer flush: {}", flushed.ToString());
  spdlog::info("gateway stopped");
  return kExitOk;
}

}  // namespace

RoleMain AddGatewayCommand(CLI::App&) { return RunGateway; }

}  // namespace wanderluxe
