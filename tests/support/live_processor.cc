#include "support/live_processor.h"

#include <doctest/doctest.h>

#include "adapters/kafka/kafka_admin.h"
#include "support/booking_events.h"
#include "support/servers.h"

namespace wanderluxe::testing {
namespace {

// What a test's booking costs, in minor units.
constexpr int64_t kAmountMinor = 90000;
// How long the broker has to answer a committed-offset query.
constexpr std::chrono::milliseconds kCommittedQueryTimeout{10'000};

std::vector<std::string> Sets(const std::string& name, const std::vector<std::string>& sets) {
  std::vector<std::string> all = {"kafka.requests_topic=" + UniqueName(name + "-requests"),
                                  "kafka.outcomes_topic=" + UniqueName(name + "-outcomes"),
                                  "kafka.dlq_topic=" + UniqueName(name + "-dlq"),
                                  "processor.group_id=" + UniqueName(name + "-group"),
                                  "mongo.database=" + UniqueName(name),
                                  "mongo.ledger_shards=4"};
  all.insert(all.end(), sets.begin(), sets.end());
  return all;
}

}  // namespace

LiveProcessor::LiveProcessor(const std::string& name, const std::vector<std::string>& sets,
                             int64_t units)
    : config_(LiveConfig(Sets(name, sets))), property_(UniqueName("prop-" + name)) {
  const KafkaConfig& k = config_.kafka;
  REQUIRE_MESSAGE(
      EnsureTopics(k, {{k.requests_topic, 1, 1}, {k.outcomes_topic, 1, 1}, {k.dlq_topic, 1, 1}})
          .ok(),
      "Kafka down -- start it with scripts/stack up");
  auto wiring = WireSaga(config_, metrics_);
  REQUIRE_MESSAGE(wiring.ok(), wiring.status().ToString());
  wiring_ = std::move(*wiring);
  REQUIRE_MESSAGE(wiring_->redis->Ping().ok(), "Redis down -- start it with scripts/stack up");
  REQUIRE(wiring_->inventory->Seed(property_, units, true).ok());
  processor_ = std::make_unique<BookingProcessor>(ProcessorOptions::From(config_), *wiring_->saga,
                                                  *wiring_->producer, metrics_);
  auto consumer = KafkaConsumer::Create(k, config_.processor.group_id, {}, processor_.get());
  REQUIRE_MESSAGE(consumer.ok(), consumer.status().ToString());
  consumer_ = std::move(*consumer);
  processor_->Attach(consumer_.get());
  REQUIRE(consumer_->Subscribe({k.requests_topic}).ok());
  poll_ = std::thread([this] { processor_->Run(stop_); });
}

LiveProcessor::~LiveProcessor() {
  stop_ = true;
  if (poll_.joinable()) poll_.join();
  if (consumer_) consumer_->Close();
  if (wiring_) (void)wiring_->ledger->DropAll();
}

void LiveProcessor::Publish(const std::string& prefix, int count) {
  PublishBookings(config_.kafka, config_.kafka.requests_topic, property_, property_ + "-" + prefix,
                  count, kAmountMinor);
}

int64_t LiveProcessor::Confirmed() {
  auto counts = wiring_->ledger->CountByStatus(property_);
  return counts.ok() ? (*counts)[BookingStatus::kConfirmed] : -1;
}

int64_t LiveProcessor::Committed() {
  auto committed =
      consumer_->QueryCommitted({config_.kafka.requests_topic, 0}, kCommittedQueryTimeout);
  return committed.ok() ? *committed : -1;
}

}  // namespace wanderluxe::testing
