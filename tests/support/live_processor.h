// A BookingProcessor against the live servers, for the tests of its
// rebalances and its liveness: topics of its own (one partition each), a
// ledger database of its own, a property seeded with units, and its poll
// thread running. A missing server fails the test, saying how to start it.
//
// Thread safety: one test thread; the processor's own threads run inside.
#ifndef WANDERLUXE_TESTS_SUPPORT_LIVE_PROCESSOR_H_
#define WANDERLUXE_TESTS_SUPPORT_LIVE_PROCESSOR_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "adapters/kafka/kafka_consumer.h"
#include "roles/common/saga_wiring.h"
#include "roles/processor/booking_processor.h"

namespace wanderluxe::testing {

class LiveProcessor {
 public:
  // `name` prefixes every topic, group, database and property it makes;
  // `sets` override the processor's config (section.key=value); `units`
  // are seeded for property().
  LiveProcessor(const std::string& name, const std::vector<std::string>& sets, int64_t units);
  // Stops the poll thread (the processor drains), closes the consumer and
  // drops the ledger database.
  ~LiveProcessor();

  // Publishes `count` bookings of property(), ids <property()>-<prefix><i>.
  void Publish(const std::string& prefix, int count);
  // Bookings of property() CONFIRMED in the ledger (-1 when it cannot tell).
  int64_t Confirmed();
  // The group's committed offset of the requests topic's partition 0.
  int64_t Committed();

  const Config& config() const { return config_; }
  const std::string& property() const { return property_; }
  MetricsRegistry& metrics() { return metrics_; }
  BookingProcessor& processor() { return *processor_; }
  KafkaConsumer& consumer() { return *consumer_; }
  SagaWiring& wiring() { return *wiring_; }

 private:
  Config config_;
  std::string property_;
  MetricsRegistry metrics_;
  std::unique_ptr<SagaWiring> wiring_;
  std::unique_ptr<BookingProcessor> processor_;
  std::unique_ptr<KafkaConsumer> consumer_;
  std::atomic<bool> stop_{false};
  std::thread poll_;
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_LIVE_PROCESSOR_H_
