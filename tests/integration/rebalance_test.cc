// A revoke with sagas in flight, against live Kafka, Redis and FerretDB
// (issue 11, defect 3): the revoke waits only for the revoked partitions'
// running sagas, returns as soon as they finish, and commits what they did.
#include <doctest/doctest.h>

#include <librdkafka/rdkafka.h>

#include <thread>

#include "adapters/kafka/kafka_admin.h"
#include "roles/common/saga_wiring.h"
#include "roles/processor/booking_processor.h"
#include "support/booking_events.h"
#include "support/child_process.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

int64_t CommittedOffset(KafkaConsumer& consumer, const TopicPartition& tp) {
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(list, tp.topic.c_str(), tp.partition);
  int64_t offset = -1;
  if (rd_kafka_committed(consumer.handle(), list, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
    offset = list->elems[0].offset;
  }
  rd_kafka_topic_partition_list_destroy(list);
  return offset;
}

TEST_SUITE("integration.rebalance") {
  TEST_CASE("revoke with sagas on a slow bank: returns when they finish and commits them") {
    const std::string requests = testing::UniqueName("rebalance-requests");
    const std::string group = testing::UniqueName("rebalance-group");
    constexpr int kEvents = 4;
    constexpr auto kBankLatency = milliseconds(1500);
    constexpr auto kDrainTimeout = seconds(20);
    Config config = testing::LiveConfig(
        {"kafka.requests_topic=" + requests,
         "kafka.outcomes_topic=" + testing::UniqueName("rebalance-outcomes"),
         "kafka.dlq_topic=" + testing::UniqueName("rebalance-dlq"), "processor.group_id=" + group,
         "processor.workers=" + std::to_string(kEvents),
         "processor.drain_timeout_ms=" + std::to_string(kDrainTimeout.count() * 1000),
         "bank.mode=simulated", "bank.latency_ms=" + std::to_string(kBankLatency.count()),
         "mongo.database=" + testing::UniqueName("rebalance"), "mongo.ledger_shards=4"});
    REQUIRE_MESSAGE(EnsureTopics(config.kafka, {{requests, 1, 1},
                                                {config.kafka.outcomes_topic, 1, 1},
                                                {config.kafka.dlq_topic, 1, 1}})
                        .ok(),
                    "Kafka down -- start it with scripts/stack up");
    MetricsRegistry metrics;
    auto wiring = WireSaga(config, metrics);
    REQUIRE(wiring.ok());
    REQUIRE_MESSAGE((*wiring)->redis->Ping().ok(), "Redis down -- start it with scripts/stack up");
    const std::string property = testing::UniqueName("prop-rebalance");
    REQUIRE((*wiring)->inventory->Seed(property, kEvents, true).ok());
    testing::PublishBookings(config.kafka, requests, property, property + "-", kEvents, 90000);

    BookingProcessor processor(ProcessorOptions::From(config), *(*wiring)->saga,
                               *(*wiring)->producer, metrics);
    auto consumer = KafkaConsumer::Create(config.kafka, group, {}, &processor);
    REQUIRE(consumer.ok());
    processor.Attach(consumer->get());
    REQUIRE((*consumer)->Subscribe({requests}).ok());
    std::atomic<bool> stop{false};
    std::thread poll([&] { processor.Run(stop); });
    Gauge* in_flight = metrics.GetGauge("processor_in_flight", "sagas running now");
    const bool running =
        testing::WaitUntil([&] { return in_flight->value() == kEvents; }, seconds(30));
    CHECK_MESSAGE(running, "sagas in flight: ", in_flight->value());

    // What the consumer's rebalance callback does when the group takes the partition away.
    const TopicPartition tp{requests, 0};
    const auto start = std::chrono::steady_clock::now();
    processor.OnRevoked({tp});
    const auto took = std::chrono::steady_clock::now() - start;
    MESSAGE("revoke took ", std::chrono::duration_cast<milliseconds>(took).count(), " ms");
    CHECK(took < kDrainTimeout / 2);                    // not the whole drain timeout
    CHECK(CommittedOffset(**consumer, tp) == kEvents);  // the finished work is committed
    CHECK((*wiring)->ledger->CountByStatus(property).value()[BookingStatus::kConfirmed] == kEvents);
    stop = true;
    poll.join();
    (*consumer)->Close();
    (void)(*wiring)->ledger->DropAll();
  }
}

}  // namespace
}  // namespace wanderluxe
