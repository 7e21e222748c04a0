// The processor's liveness guard against live Kafka, Redis and FerretDB: an
// idle partition with nothing behind its position is not stalled; a partition
// that stops being read with events behind it is, fails readiness, and is
// cleared once it is read again.
#include <doctest/doctest.h>
#include <librdkafka/rdkafka.h>

#include <thread>

#include "roles/processor/stall_guard.h"
#include "support/child_process.h"
#include "support/live_processor.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_SUITE("integration.stall_guard") {
  TEST_CASE("a partition not read with events behind it is stalled until it is read again") {
    constexpr int kEvents = 4;
    constexpr auto kStallTimeout = milliseconds(1000);
    testing::LiveProcessor live(
        "stall", {"processor.workers=4", "bank.mode=simulated", "bank.latency_ms=0"}, 2 * kEvents);
    StallGuard guard(live.processor(), live.consumer(), kStallTimeout, live.metrics());
    Gauge* stalled = live.metrics().GetGauge("processor_stalled_partitions", "");
    live.Publish("a", kEvents);
    REQUIRE(testing::WaitUntil([&] { return live.Confirmed() == kEvents; }, seconds(60)));

    // Idle past the timeout with nothing behind its position: not stalled.
    std::this_thread::sleep_for(2 * kStallTimeout);  // the idleness under test, not readiness
    CHECK(guard.Check() == 0);
    CHECK(guard.Readiness().ok());

    // The partition stops being read behind the processor's and the
    // adapter's back (as librdkafka's pause flag that outlived a revoke did),
    // and events arrive.
    rd_kafka_topic_partition_list_t* tp = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(tp, live.config().kafka.requests_topic.c_str(), 0);
    REQUIRE(rd_kafka_pause_partitions(live.consumer().handle(), tp) == RD_KAFKA_RESP_ERR_NO_ERROR);
    live.Publish("b", kEvents);
    CHECK_MESSAGE(testing::WaitUntil([&] { return guard.Check() == 1; }, 10 * kStallTimeout),
                  "the unread partition was never reported stalled");
    CHECK(stalled->value() == 1);
    CHECK_FALSE(guard.Readiness().ok());
    CHECK(live.Confirmed() == kEvents);  // nothing of the second half was read

    REQUIRE(rd_kafka_resume_partitions(live.consumer().handle(), tp) == RD_KAFKA_RESP_ERR_NO_ERROR);
    rd_kafka_topic_partition_list_destroy(tp);
    CHECK(testing::WaitUntil([&] { return live.Confirmed() == 2 * kEvents; }, seconds(60)));
    CHECK(testing::WaitUntil([&] { return guard.Check() == 0; }, 10 * kStallTimeout));
    CHECK(stalled->value() == 0);
    CHECK(guard.Readiness().ok());
  }
}

}  // namespace
}  // namespace wanderluxe
