// GET with `Prefer: wait=N` in-process against live Redis and Kafka: a read
// waiting for an outcome is answered when the outcome event is published on
// the gateway's outcomes topic (read by KafkaTopicTail, no consumer group),
// at its deadline without one, and at shutdown, each with the view then.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>

#include "adapters/http/http_client.h"
#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_producer.h"
#include "adapters/kafka/kafka_topic_tail.h"
#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_status_views.h"
#include "roles/gateway/gateway_server.h"
#include "support/child_process.h"
#include "support/servers.h"
#include "wanderluxe/outcome_event.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;

// From an outcome's publish to the waiting read's answer, on a loaded
// two-core machine (the bench measures the real figure).
constexpr milliseconds kWakeBound{2000};
constexpr seconds kSetUpBound{15};
// Wakes in a row through one gateway.
constexpr int kRounds = 3;

StatusView View(const std::string& id, int64_t version, const std::string& status, bool terminal) {
  return {id, version, "", terminal,
          R"({"bookingId":")" + id + R"(","status":")" + status + R"(","version":)" +
              std::to_string(version) + "}"};
}

// The value of `series` in a /metrics body (the sample, not its HELP line); -1 when absent.
int64_t Sample(const std::string& metrics, const std::string& series) {
  const std::string line = "\n" + series + " ";
  const size_t at = metrics.find(line);
  return at == std::string::npos ? -1 : std::stoll(metrics.substr(at + line.size()));
}

// A gateway reading its own outcomes topic from its end.
class WaitingGateway {
 public:
  WaitingGateway() {
    topic_ = testing::UniqueName("gw-outcomes");
    config_ = testing::LiveConfig({"gateway.listen_host=127.0.0.1", "gateway.port=0",
                                   "kafka.outcomes_topic=" + topic_, "gateway.max_wait_s=20"});
    auto created = EnsureTopics(config_.kafka, {{topic_, 3, 1}});
    REQUIRE_MESSAGE(created.ok(), "Kafka at ", config_.kafka.brokers, ": ",
                    created.status().ToString(), " -- start it with scripts/stack up");
    auto redis = RedisClient::Connect(config_.redis);
    REQUIRE_MESSAGE(redis.ok(), "Redis: ", redis.status().ToString(),
                    " -- start it with scripts/stack up");
    redis_ = std::move(*redis);
    views_ = std::make_unique<RedisStatusViews>(*redis_);
    auto producer = KafkaProducer::Create(config_.kafka);
    REQUIRE(producer.ok());
    producer_ = std::move(*producer);
    auto tail = KafkaTopicTail::Create(config_.kafka, topic_);
    REQUIRE_MESSAGE(tail.ok(), tail.status().ToString());
    tail_ = std::move(*tail);
    // Its partitions assigned before the watch starts: every event published
    // from here on is read.
    REQUIRE_MESSAGE(
        testing::WaitUntil(
            [&] { return tail_->Poll(milliseconds(500)).ok() && tail_->partitions() > 0; },
            kSetUpBound),
        "the outcomes tail found no partitions of ", topic_);
    server_ = std::make_unique<GatewayServer>(
        config_, GatewayDependencies{redis_.get(), producer_.get(), nullptr, tail_.get(), nullptr});
    REQUIRE(server_->Start().ok());
    // The producer's first publish on a topic just made waits for its
    // metadata: done here, so the tests time wakes, not that.
    PublishOutcome(testing::UniqueName("warm"));
  }

  // A GET of `id` with `Prefer: wait=<wait_s>`, answered on another thread.
  std::future<Result<HttpResult>> GetWaiting(const std::string& id, int wait_s) {
    return std::async(std::launch::async, [this, id, wait_s] {
      HttpClient client("http://127.0.0.1:" + std::to_string(server_->port()), seconds(60));
      return client.Send("GET", "/api/v1/bookings/" + id,
                         {{"Prefer", "wait=" + std::to_string(wait_s)}});
    });
  }
  // Returns once `n` reads wait (the gauges on /metrics), their first read
  // of the view done: what changes from now on, only a wake shows them.
  void AwaitWaiters(int64_t n) {
    HttpClient client("http://127.0.0.1:" + std::to_string(server_->port()), seconds(10));
    int64_t waiting = -1, reading = -1;
    const bool reached = testing::WaitUntil(
        [&] {
          auto metrics = client.Send("GET", "/metrics");
          if (!metrics.ok()) return false;
          waiting = Sample(metrics->body, "gateway_status_waiters");
          reading = Sample(metrics->body, "gateway_status_reads_in_flight");
          return waiting == n && reading == 0;
        },
        kSetUpBound);
    REQUIRE_MESSAGE(reached, "waiting reads: ", waiting, ", expected ", n, "; reads in flight ",
                    reading);
  }
  void PublishOutcome(const std::string& id) {
    OutcomeEvent outcome;
    outcome.event_id = testing::UniqueName("e");
    outcome.booking_id = id;
    outcome.property_id = "p";
    outcome.status = BookingStatus::kConfirmed;
    Status s = producer_->Publish({topic_, id, EncodeOutcomeEvent(outcome), {}}, seconds(10));
    REQUIRE_MESSAGE(s.ok(), s.ToString());
  }

  StatusViews& views() { return *views_; }
  GatewayServer& server() { return *server_; }

 private:
  std::string topic_;
  Config config_;
  std::unique_ptr<RedisClient> redis_;
  std::unique_ptr<RedisStatusViews> views_;
  std::unique_ptr<KafkaProducer> producer_;
  std::unique_ptr<KafkaTopicTail> tail_;
  std::unique_ptr<GatewayServer> server_;
};

std::string StatusOf(const HttpResult& r) { return nlohmann::json::parse(r.body)["status"]; }

TEST_SUITE("integration.status_wait") {
  TEST_CASE("a waiting read is answered with the new view when its outcome is published") {
    WaitingGateway gw;
    for (int round = 0; round < kRounds; ++round) {
      const std::string id = testing::UniqueName("b");
      REQUIRE(gw.views().Put(View(id, 1, "RESERVED", false)).ok());
      auto answer = gw.GetWaiting(id, 15);
      gw.AwaitWaiters(1);
      // The processor's order: the view, then the outcome event.
      REQUIRE(gw.views().Put(View(id, 2, "CONFIRMED", true)).ok());
      const auto published = SteadyClock::now();
      gw.PublishOutcome(id);
      REQUIRE(answer.wait_for(kWakeBound) == std::future_status::ready);
      const auto took = SteadyClock::now() - published;
      auto r = answer.get();
      REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      CHECK(r->status == 200);
      CHECK(StatusOf(*r) == "CONFIRMED");
      CHECK(r->Header("Preference-Applied") == "wait=15");
      MESSAGE("round ", round, ": answered ",
              std::chrono::duration_cast<milliseconds>(took).count(),
              " ms after the publish began");
    }
  }

  TEST_CASE("without an outcome the read is answered at its deadline, with its view then") {
    WaitingGateway gw;
    const std::string id = testing::UniqueName("b");
    REQUIRE(gw.views().Put(View(id, 1, "RESERVED", false)).ok());
    const auto asked = SteadyClock::now();
    auto answer = gw.GetWaiting(id, 1);
    REQUIRE(answer.wait_for(seconds(10)) == std::future_status::ready);
    const auto took = SteadyClock::now() - asked;
    auto r = answer.get();
    REQUIRE(r.ok());
    CHECK(StatusOf(*r) == "RESERVED");
    CHECK(r->Header("Preference-Applied") == "wait=1");
    CHECK(took >= seconds(1));
  }

  TEST_CASE("a terminal booking is answered at once; a wait past max_wait_s is capped") {
    WaitingGateway gw;
    const std::string done = testing::UniqueName("b"), open = testing::UniqueName("b");
    REQUIRE(gw.views().Put(View(done, 3, "CONFIRMED", true)).ok());
    auto at_once = gw.GetWaiting(done, 15);
    REQUIRE(at_once.wait_for(seconds(5)) == std::future_status::ready);
    CHECK(StatusOf(*at_once.get()) == "CONFIRMED");
    REQUIRE(gw.views().Put(View(open, 1, "RESERVED", false)).ok());
    auto capped = gw.GetWaiting(open, 3600);
    gw.AwaitWaiters(1);
    gw.PublishOutcome(open);
    REQUIRE(capped.wait_for(kWakeBound) == std::future_status::ready);
    CHECK(capped.get()->Header("Preference-Applied") == "wait=20");
  }

  TEST_CASE("shutdown answers every waiting read with its current view") {
    WaitingGateway gw;
    const std::string id = testing::UniqueName("b");
    REQUIRE(gw.views().Put(View(id, 1, "RESERVED", false)).ok());
    auto answer = gw.GetWaiting(id, 15);
    gw.AwaitWaiters(1);
    const auto stopping = SteadyClock::now();
    std::thread stop([&] { gw.server().Stop(); });
    REQUIRE(answer.wait_for(seconds(5)) == std::future_status::ready);
    stop.join();
    CHECK(SteadyClock::now() - stopping < seconds(5));
    auto r = answer.get();
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(StatusOf(*r) == "RESERVED");
  }
}

}  // namespace
}  // namespace wanderluxe
