// Rebalances of a running processor, against live Kafka, Redis and FerretDB:
// a revoke with sagas in flight waits only for the revoked partitions'
// running sagas, returns as soon as they finish, and commits what they did; a
// partition paused for backpressure and assigned again is read again.
#include <doctest/doctest.h>

#include <thread>

#include "adapters/kafka/kafka_admin.h"
#include "support/child_process.h"
#include "support/live_processor.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_SUITE("integration.rebalance") {
  TEST_CASE("revoke with sagas on a slow bank: returns when they finish and commits them") {
    constexpr int kEvents = 4;
    constexpr auto kBankLatency = milliseconds(1500);
    constexpr auto kDrainTimeout = seconds(20);
    testing::LiveProcessor live(
        "rebalance",
        {"processor.workers=" + std::to_string(kEvents),
         "processor.drain_timeout_ms=" + std::to_string(kDrainTimeout.count() * 1000),
         "bank.mode=simulated", "bank.latency_ms=" + std::to_string(kBankLatency.count())},
        kEvents);
    live.Publish("", kEvents);
    Gauge* in_flight = live.metrics().GetGauge("processor_in_flight", "sagas running now");
    const bool running =
        testing::WaitUntil([&] { return in_flight->value() == kEvents; }, seconds(30));
    CHECK_MESSAGE(running, "sagas in flight: ", in_flight->value());

    // What the consumer's rebalance callback does when the group takes the partition away.
    const TopicPartition tp{live.config().kafka.requests_topic, 0};
    const auto start = std::chrono::steady_clock::now();
    live.processor().OnRevoked({tp});
    const auto took = std::chrono::steady_clock::now() - start;
    MESSAGE("revoke took ", std::chrono::duration_cast<milliseconds>(took).count(), " ms");
    CHECK(took < kDrainTimeout / 2);     // not the whole drain timeout
    CHECK(live.Committed() == kEvents);  // the finished work is committed
    CHECK(live.Confirmed() == kEvents);
  }

  // The schedule that froze a sale: the queue fills and the partitions are
  // paused; a member joining the group revokes them while paused; the queue
  // drains with nothing assigned; the same partition comes back to the same
  // member. librdkafka keeps the pause flag of a partition on the client
  // across an eager re-assignment, so it must be cleared on revoke.
  TEST_CASE("a partition paused for backpressure and assigned again is read again") {
    // One worker and a slow bank keep the queue full (paused) for seconds: long
    // enough for the join below to land inside the pause.
    constexpr int kEvents = 12;
    testing::LiveProcessor live(
        "repause",
        {"processor.workers=1", "processor.queue_capacity=4", "processor.queue_low_water=0",
         "processor.batch_max=2", "bank.mode=simulated", "bank.latency_ms=2000"},
        kEvents);
    live.Publish("", kEvents);
    Counter* pauses = live.metrics().GetCounter("processor_pauses_total", "");
    CHECK_MESSAGE(testing::WaitUntil([&] { return pauses->value() >= 1; }, seconds(30)),
                  "the queue never filled");

    // A second member of the group that reads another topic: the group
    // rebalances (eagerly: every partition is revoked), and the requests
    // topic's one partition goes back to the processor, the only member that
    // subscribed to it.
    const std::string other = testing::UniqueName("repause-other");
    REQUIRE(EnsureTopics(live.config().kafka, {{other, 1, 1}}).ok());
    struct Joiner final : RebalanceListener {
      std::atomic<bool> joined{false};
      void OnAssigned(const std::vector<TopicPartition>& p) override {
        if (!p.empty()) joined = true;
      }
      void OnRevoked(const std::vector<TopicPartition>&) override {}
    } joiner;
    auto second =
        KafkaConsumer::Create(live.config().kafka, live.config().processor.group_id, {}, &joiner);
    REQUIRE(second.ok());
    REQUIRE((*second)->Subscribe({other}).ok());
    std::atomic<bool> stop_second{false};
    std::thread poll_second([&] {
      while (!stop_second.load()) (void)(*second)->Poll(milliseconds(100));
    });
    CHECK_MESSAGE(testing::WaitUntil([&] { return joiner.joined.load(); }, seconds(60)),
                  "the second member never joined");

    CHECK_MESSAGE(testing::WaitUntil([&] { return live.Confirmed() == kEvents; }, seconds(60)),
                  "confirmed ", live.Confirmed(), " of ", kEvents,
                  " after the rebalance: the partition came back paused");
    CHECK_MESSAGE(testing::WaitUntil([&] { return live.Committed() == kEvents; }, seconds(10)),
                  "committed ", live.Committed(), " of ", kEvents);
    stop_second = true;
    poll_second.join();
    (*second)->Close();
  }
}

}  // namespace
}  // namespace wanderluxe
