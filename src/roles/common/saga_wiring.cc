#include "roles/common/saga_wiring.h"

#include <spdlog/spdlog.h>

#include "adapters/bank/http_bank.h"
#include "adapters/bank/simulated_bank.h"
#include "adapters/redis/redis_connect.h"

namespace wanderluxe {

Result<std::unique_ptr<SagaWiring>> WireSaga(const Config& config, MetricsRegistry& metrics) {
  auto w = std::make_unique<SagaWiring>();
  w->redis = CreateRedis(config.redis);
  w->inventory = std::make_unique<RedisInventoryStore>(
      *w->redis, WaitlistPolicy{config.saga.waitlist_max, config.saga.waitlist_per_unit});
  auto mongo = MongoStore::Open(config.mongo);
  if (!mongo.ok()) return mongo.status();
  w->mongo = std::move(*mongo);
  w->ledger = std::make_unique<MongoLedger>(*w->mongo);
  // A ledger of another layout would hide every booking: refuse to start.
  // A ledger that does not answer yet is an outage the saga rides out.
  if (Status s = w->ledger->RecordLayout(); s.code() == StatusCode::kFailedPrecondition) {
    return s;
  } else if (!s.ok()) {
    spdlog::warn("ledger layout not checked (the ledger is not answering): {}", s.ToString());
  }
  if (Status s = w->ledger->EnsureIndexes(); !s.ok()) {
    spdlog::warn("ledger indexes not created (queries work, slower): {}", s.ToString());
  }
  if (config.bank.mode == "http") {
    w->bank =
        std::make_unique<HttpBank>(config.bank.url, static_cast<size_t>(config.bank.pool_size));
  } else {
    // In process the book lives in memory: verify cannot see it (use mode http).
    auto book = ChargeBook::Open("");
    if (!book.ok()) return book.status();
    w->bank = std::make_unique<SimulatedBank>(config.bank, std::move(*book));
  }
  auto producer = KafkaProducer::Create(config.kafka);
  if (!producer.ok()) return producer.status();
  w->producer = std::move(*producer);
  w->redis_async = CreateRedisAsync(*w->redis);
  w->status_views = std::make_unique<RedisStatusViews>(*w->redis, w->redis_async.get());
  SagaOptions options = SagaOptions::From(config);
  options.status_views = w->status_views.get();
  w->saga = std::make_unique<BookingSaga>(std::move(options), *w->inventory, *w->ledger, *w->bank,
                                          *w->producer, metrics);
  return w;
}

}  // namespace wanderluxe
