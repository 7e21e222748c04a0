// Rebalances of a running processor, against live Kafka, Redis and FerretDB:
// a revoke with sagas in flight waits only for the revoked partitions' running
// sagas, returns as soon as they finish, and commits what they did; a
// partition paused for backpressure and assigned again is read again.
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

  // The schedule that froze a sale: the queue fills and the partitions are
  // paused; a member joining the group revokes them while paused; the queue
  // drains with nothing assigned; the same partition comes back to the same
  // member. librdkafka keeps the pause flag of a partition on the client
  // across an eager re-assignment, so the processor must set it again.
  TEST_CASE("a partition paused for backpressure and assigned again is read again") {
    const std::string requests = testing::UniqueName("repause-requests");
    const std::string other = testing::UniqueName("repause-other");
    const std::string group = testing::UniqueName("repause-group");
    // One worker and a slow bank keep the queue full (paused) for seconds: long
    // enough for the join below to land inside the pause.
    constexpr int kEvents = 12;
    Config config = testing::LiveConfig(
        {"kafka.requests_topic=" + requests,
         "kafka.outcomes_topic=" + testing::UniqueName("repause-outcomes"),
         "kafka.dlq_topic=" + testing::UniqueName("repause-dlq"), "processor.group_id=" + group,
         "processor.workers=1", "processor.queue_capacity=4", "processor.queue_low_water=0",
         "processor.batch_max=2", "bank.mode=simulated", "bank.latency_ms=2000",
         "mongo.database=" + testing::UniqueName("repause"), "mongo.ledger_shards=4"});
    REQUIRE_MESSAGE(EnsureTopics(config.kafka, {{requests, 1, 1},
                                                {other, 1, 1},
                                                {config.kafka.outcomes_topic, 1, 1},
                                                {config.kafka.dlq_topic, 1, 1}})
                        .ok(),
                    "Kafka down -- start it with scripts/stack up");
    MetricsRegistry metrics;
    auto wiring = WireSaga(config, metrics);
    REQUIRE(wiring.ok());
    REQUIRE_MESSAGE((*wiring)->redis->Ping().ok(), "Redis down -- start it with scripts/stack up");
    const std::string property = testing::UniqueName("prop-repause");
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
    Counter* pauses = metrics.GetCounter("processor_pauses_total", "");
    CHECK_MESSAGE(testing::WaitUntil([&] { return pauses->value() >= 1; }, seconds(30)),
                  "the queue never filled");

    // A second member of the group that reads another topic: the group
    // rebalances (eagerly: every partition is revoked), and the requests
    // topic's one partition goes back to the processor, the only member that
    // subscribed to it.
    std::atomic<bool> joined{false};
    struct Joiner final : RebalanceListener {
      std::atomic<bool>* joined;
      void OnAssigned(const std::vector<TopicPartition>& p) override {
        if (!p.empty()) *joined = true;
      }
      void OnRevoked(const std::vector<TopicPartition>&) override {}
    } joiner;
    joiner.joined = &joined;
    auto second = KafkaConsumer::Create(config.kafka, group, {}, &joiner);
    REQUIRE(second.ok());
    REQUIRE((*second)->Subscribe({other}).ok());
    std::atomic<bool> stop_second{false};
    std::thread poll_second([&] {
      while (!stop_second.load()) (void)(*second)->Poll(milliseconds(100));
    });
    CHECK_MESSAGE(testing::WaitUntil([&] { return joined.load(); }, seconds(60)),
                  "the second member never joined");

    const bool all = testing::WaitUntil(
        [&] {
          auto counts = (*wiring)->ledger->CountByStatus(property);
          return counts.ok() && (*counts)[BookingStatus::kConfirmed] == kEvents;
        },
        seconds(60));
    CHECK_MESSAGE(all, "confirmed ",
                  (*wiring)->ledger->CountByStatus(property).value()[BookingStatus::kConfirmed],
                  " of ", kEvents, " after the rebalance: the partition came back paused");
    CHECK_MESSAGE(testing::WaitUntil(
                      [&] { return CommittedOffset(**consumer, {requests, 0}) == kEvents; },
                      seconds(10)),
                  "committed ", CommittedOffset(**consumer, {requests, 0}), " of ", kEvents);
    stop = true;
    poll.join();
    stop_second = true;
    poll_second.join();
    (*second)->Close();
    (*consumer)->Close();
    (void)(*wiring)->ledger->DropAll();
  }
}

}  // namespace
}  // namespace wanderluxe
