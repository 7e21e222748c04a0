// Builds the saga's collaborators from config: Redis inventory and status
// views, Mongo ledger, the bank (simulated in process, or the `bank` role
// over HTTP) and the outcome producer. Shared by `processor` and `reconcile`.
#ifndef WANDERLUXE_ROLES_COMMON_SAGA_WIRING_H_
#define WANDERLUXE_ROLES_COMMON_SAGA_WIRING_H_

#include <memory>

#include "adapters/kafka/kafka_producer.h"
#include "adapters/mongo/mongo_ledger.h"
#include "adapters/redis/redis_inventory_store.h"
#include "adapters/redis/redis_status_views.h"
#include "wanderluxe/booking_saga.h"
#include "wanderluxe/config.h"

namespace wanderluxe {

struct SagaWiring {
  std::unique_ptr<RedisCommands> redis;
  std::unique_ptr<RedisInventoryStore> inventory;
  std::unique_ptr<RedisAsyncCommands> redis_async;  // the status views' batches
  std::unique_ptr<RedisStatusViews> status_views;
  std::unique_ptr<MongoStore> mongo;
  std::unique_ptr<MongoLedger> ledger;
  std::unique_ptr<Bank> bank;
  std::unique_ptr<KafkaProducer> producer;
  std::unique_ptr<BookingSaga> saga;
};

Result<std::unique_ptr<SagaWiring>> WireSaga(const Config& config, MetricsRegistry& metrics);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_COMMON_SAGA_WIRING_H_
