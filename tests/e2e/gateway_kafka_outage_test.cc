// Drill: the Kafka broker stops and comes back while guests keep booking.
// Every 202 must have its event on the topic; a 503 must have none and leave
// nothing behind; a 504 ("outcome unknown") keeps its claim, and its event
// may or may not be there. Nothing else is answered. Runs a private broker
// (its own ports and state dir) so that stopping it disturbs no other test.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>

#include "adapters/http/http_client.h"
#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/kafka/kafka_producer.h"
#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_idempotency_store.h"
#include "roles/gateway/gateway_server.h"
#include "support/build_paths.h"
#include "support/child_process.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

class PrivateKafka {
 public:
  PrivateKafka() : dir_("/tmp/" + testing::UniqueName("wanderluxe-drill")) { Run("up"); }
  ~PrivateKafka() {
    Run("down");
    std::filesystem::remove_all(dir_);
  }
  void Run(const std::string& verb) {
    const std::string command = "WANDERLUXE_STACK_DIR=" + dir_ +
                                " WL_KAFKA_PORT=19192 WL_KAFKA_CONTROLLER_PORT=19193 " +
                                testing::SourceDir() + "/scripts/stack " + verb + " kafka";
    REQUIRE_MESSAGE(std::system(command.c_str()) == 0, command);
  }
  static std::string Brokers() { return "127.0.0.1:19192"; }

 private:
  std::string dir_;
};

TEST_SUITE("e2e.gateway") {
  TEST_CASE("Kafka outage: every 202 is on the topic, a 503 is clean, a 504 keeps its claim") {
    PrivateKafka kafka;
    Config config = testing::LiveConfig({"kafka.brokers=" + PrivateKafka::Brokers(),
                                         "gateway.listen_host=127.0.0.1", "gateway.port=0",
                                         "kafka.delivery_timeout_ms=2000"});
    const std::string topic = config.kafka.requests_topic;
    REQUIRE(EnsureTopics(config.kafka, BookingTopics(config.kafka)).ok());
    auto redis = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(redis.ok(), redis.status().ToString(), " -- start it with scripts/stack up");
    auto producer = KafkaProducer::Create(config.kafka);
    REQUIRE(producer.ok());
    GatewayServer gateway(config, {redis->get(), producer->get(), nullptr, nullptr});
    REQUIRE(gateway.Start().ok());
    HttpClient client("http://127.0.0.1:" + std::to_string(gateway.port()), seconds(10));

    std::set<std::string> accepted, refused, unknown;
    int other = 0, sent = 0;
    auto book = [&] {
      const std::string id = testing::UniqueName("drill");
      auto r = client.Send("POST", "/api/v1/bookings", {{"Idempotency-Key", id}},
                           R"({"bookingId":")" + id +
                               R"(","propertyId":"prop-drill","amount":10.00,"currency":"USD"})");
      ++sent;
      if (r.ok() && r->status == 202) {
        accepted.insert(id);
      } else if (r.ok() && r->status == 503) {
        refused.insert(id);
        // Nothing half-done: the idempotency claim was released.
        CHECK((*redis)
                  ->Command({"EXISTS", RedisIdempotencyStore::RedisKey((*redis)->config(), id)})
                  ->integer == 0);
      } else if (r.ok() && r->status == 504) {
        unknown.insert(id);
        // The event may yet land: the claim is kept, so a retry is told 409.
        CHECK((*redis)
                  ->Command({"EXISTS", RedisIdempotencyStore::RedisKey((*redis)->config(), id)})
                  ->integer == 1);
      } else {
        ++other;
      }
    };

    for (int i = 0; i < 50; ++i) book();  // before
    CHECK(accepted.size() == 50);
    kafka.Run("down");
    for (int i = 0; i < 5; ++i) book();  // during
    // Stopped cleanly, the broker had nothing of these: each is certainly not written.
    CHECK(refused.size() >= 5);
    kafka.Run("up");
    // After: the producer reconnects on its own; keep booking until it does.
    const size_t before_recovery = accepted.size();
    CHECK(testing::WaitUntil(
        [&] {
          book();
          return accepted.size() >= before_recovery + 50;
        },
        seconds(90)));
    CHECK(other == 0);

    // Every accepted booking is on the topic; no refused one is; an unknown may be.
    auto consumer = KafkaConsumer::Create(config.kafka, testing::UniqueName("drill-check"));
    REQUIRE(consumer.ok());
    REQUIRE((*consumer)->Subscribe({topic}).ok());
    std::set<std::string> on_topic;
    testing::WaitUntil(
        [&] {
          auto polled = (*consumer)->Poll(std::chrono::milliseconds(200));
          const bool got = polled.ok() && polled->has_value();
          if (got) {
            auto headers = (*polled)->headers;
            for (const auto& h : headers) {
              if (h.key == "idempotency-key") on_topic.insert(h.value);
            }
          }
          // Read to the end (a poll with nothing new), so that a refused
          // booking's event, had it landed, would be seen too.
          return !got &&
                 std::includes(on_topic.begin(), on_topic.end(), accepted.begin(), accepted.end());
        },
        seconds(60));
    (*consumer)->Close();
    for (const std::string& id : accepted) CHECK_MESSAGE(on_topic.count(id) == 1, id);
    for (const std::string& id : on_topic) {
      CHECK_MESSAGE((accepted.count(id) == 1 || unknown.count(id) == 1), id, " answered 503");
    }
    MESSAGE("sent ", sent, ", accepted ", accepted.size(), ", 503 ", refused.size(), ", 504 ",
            unknown.size());
    gateway.Stop();
  }
}

}  // namespace
}  // namespace wanderluxe
