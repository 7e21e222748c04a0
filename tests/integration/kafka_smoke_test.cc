// Produce and consume through our own adapters against the live Kafka broker.
#include <doctest/doctest.h>

#include <chrono>

#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/kafka/kafka_producer.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST_SUITE("integration.kafka") {
  TEST_CASE("the broker is reachable (run scripts/stack up if this fails)") {
    const Config config = testing::LiveConfig();
    Status s = PingKafka(config.kafka, seconds(5));
    REQUIRE_MESSAGE(s.ok(), "Kafka at ", config.kafka.brokers, " is not answering: ", s.ToString(),
                    " -- start it with scripts/stack up");
  }

  TEST_CASE("ensure topics creates once, then reports existing") {
    const Config config = testing::LiveConfig();
    const std::string topic = testing::UniqueName("smoke-ensure");
    auto first = EnsureTopics(config.kafka, {{topic, 3, 1}});
    REQUIRE_MESSAGE(first.ok(), first.status().ToString());
    REQUIRE(first->size() == 1);
    CHECK(first->front().created);
    auto second = EnsureTopics(config.kafka, {{topic, 3, 1}});
    REQUIRE_MESSAGE(second.ok(), second.status().ToString());
    CHECK_FALSE(second->front().created);
  }

  TEST_CASE("a published event is consumed with its key, value and headers") {
    const Config config = testing::LiveConfig();
    const std::string topic = testing::UniqueName("smoke-roundtrip");
    auto created = EnsureTopics(config.kafka, {{topic, 1, 1}});
    REQUIRE_MESSAGE(created.ok(), created.status().ToString());

    auto producer = KafkaProducer::Create(config.kafka);
    REQUIRE_MESSAGE(producer.ok(), producer.status().ToString());
    OutgoingEvent sent{topic,
                       "prop-dubai-royal",
                       R"({"hello":"kafka"})",
                       {{"traceparent", "00-abc-def-01"}, {"idempotency-key", "k-1"}}};
    Status published = (*producer)->Publish(sent, seconds(10));
    REQUIRE_MESSAGE(published.ok(), published.ToString());

    auto consumer = KafkaConsumer::Create(config.kafka, testing::UniqueName("smoke-group"));
    REQUIRE_MESSAGE(consumer.ok(), consumer.status().ToString());
    REQUIRE((*consumer)->Subscribe({topic}).ok());
    std::optional<ConsumedEvent> received;
    const auto deadline = std::chrono::steady_clock::now() + seconds(30);
    while (!received && std::chrono::steady_clock::now() < deadline) {
      auto polled = (*consumer)->Poll(milliseconds(200));
      if (polled.ok()) received = *polled;
    }
    REQUIRE_MESSAGE(received.has_value(), "no event consumed within 30 s");
    CHECK(received->key == sent.key);
    CHECK(received->value == sent.value);
    CHECK(received->offset == 0);
    REQUIRE(received->headers.size() == 2);
    CHECK(received->headers[0].key == "traceparent");
    CHECK(received->headers[0].value == "00-abc-def-01");
    Status committed = (*consumer)->Commit({{topic, received->partition, received->offset + 1}});
    CHECK_MESSAGE(committed.ok(), committed.ToString());
    (*consumer)->Close();
  }

  TEST_CASE("publishing to an unreachable broker fails within the deadline, never OK") {
    Config config = testing::LiveConfig();
    config.kafka.brokers = "127.0.0.1:1";  // nothing listens on port 1
    config.kafka.delivery_timeout_ms = 1000;
    auto producer = KafkaProducer::Create(config.kafka);
    REQUIRE(producer.ok());
    const auto start = std::chrono::steady_clock::now();
    Status s = (*producer)->Publish({"booking.requests", "k", "v", {}}, seconds(5));
    CHECK_FALSE(s.ok());
    CHECK(s.IsTransient());
    CHECK(std::chrono::steady_clock::now() - start < seconds(5));
  }
}

}  // namespace
}  // namespace wanderluxe
