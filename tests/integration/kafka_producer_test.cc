// KafkaProducer::PublishAsync against the live broker, and against none.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/kafka/kafka_producer.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// The reports of publishes 0..n-1, as their callbacks deliver them. Shared
// with the callbacks, so that a report after a failed wait lands harmlessly.
class Reports {
 public:
  explicit Reports(size_t n) : statuses_(n), at_(n), calls_(n, 0) {}

  static PublishCallback For(const std::shared_ptr<Reports>& reports, size_t i) {
    return [reports, i](Status s) {
      std::lock_guard lock(reports->mu_);
      reports->statuses_[i] = std::move(s);
      reports->at_[i] = Clock::now();
      if (reports->calls_[i]++ == 0) ++reports->reported_;
      reports->reported_cv_.notify_all();
    };
  }
  bool Wait(milliseconds bound) {
    std::unique_lock lock(mu_);
    return reported_cv_.wait_for(lock, bound, [&] { return reported_ == statuses_.size(); });
  }
  bool Reported(size_t i) {
    std::lock_guard lock(mu_);
    return calls_[i] > 0;
  }
  // Read once every publish is reported.
  const Status& status(size_t i) const { return *statuses_[i]; }
  Clock::time_point at(size_t i) const { return at_[i]; }
  int calls(size_t i) const { return calls_[i]; }

 private:
  std::mutex mu_;
  std::condition_variable reported_cv_;
  std::vector<std::optional<Status>> statuses_;
  std::vector<Clock::time_point> at_;
  std::vector<int> calls_;
  size_t reported_ = 0;
};

std::unique_ptr<KafkaProducer> ProducerOrFail(const KafkaConfig& config) {
  auto producer = KafkaProducer::Create(config);
  REQUIRE_MESSAGE(producer.ok(), producer.status().ToString());
  return std::move(*producer);
}

std::string TopicOrFail(const KafkaConfig& config, const std::string& prefix) {
  const std::string topic = testing::UniqueName(prefix);
  auto created = EnsureTopics(config, {{topic, 1, 1}});
  REQUIRE_MESSAGE(created.ok(), "Kafka at ", config.brokers, ": ", created.status().ToString(),
                  " -- start it with scripts/stack up");
  return topic;
}

TEST_SUITE("integration.kafka_producer") {
  TEST_CASE("PublishAsync reports OK once the event is on the topic, as sent") {
    const Config config = testing::LiveConfig();
    const std::string topic = TopicOrFail(config.kafka, "producer-async");
    auto producer = ProducerOrFail(config.kafka);
    auto reports = std::make_shared<Reports>(1);
    producer->PublishAsync({topic, "prop-dubai-royal", R"({"hello":"async"})", {{"k", "v"}}},
                           Reports::For(reports, 0));
    REQUIRE_MESSAGE(reports->Wait(seconds(10)), "no delivery report within 10 s");
    REQUIRE_MESSAGE(reports->status(0).ok(), reports->status(0).ToString());
    CHECK(reports->calls(0) == 1);

    auto consumer = KafkaConsumer::Create(config.kafka, testing::UniqueName("producer-group"));
    REQUIRE_MESSAGE(consumer.ok(), consumer.status().ToString());
    REQUIRE((*consumer)->Subscribe({topic}).ok());
    std::optional<ConsumedEvent> received;
    const auto deadline = Clock::now() + seconds(30);
    while (!received && Clock::now() < deadline) {
      auto polled = (*consumer)->Poll(milliseconds(200));
      if (polled.ok()) received = *polled;
    }
    REQUIRE_MESSAGE(received.has_value(), "no event consumed within 30 s");
    CHECK(received->key == "prop-dubai-royal");
    CHECK(received->value == R"({"hello":"async"})");
    REQUIRE(received->headers.size() == 1);
    CHECK(received->headers[0].value == "v");
    (*consumer)->Close();
  }

  TEST_CASE("a delivery report is not held back by the reporter's poll interval") {
    // One publish at a time, each after the last report: a reporter that saw
    // reports only every 100 ms poll would make the median ~50 ms.
    constexpr size_t kPublishes = 40;
    constexpr milliseconds kMedianBound{25};
    const Config config = testing::LiveConfig();
    const std::string topic = TopicOrFail(config.kafka, "producer-latency");
    auto producer = ProducerOrFail(config.kafka);
    REQUIRE(producer->Publish({topic, "warm", "up", {}}, seconds(10)).ok());
    std::vector<double> latencies_ms;
    for (size_t i = 0; i < kPublishes; ++i) {
      auto reports = std::make_shared<Reports>(1);
      const auto start = Clock::now();
      producer->PublishAsync({topic, "k", "v" + std::to_string(i), {}}, Reports::For(reports, 0));
      REQUIRE(reports->Wait(seconds(10)));
      REQUIRE_MESSAGE(reports->status(0).ok(), reports->status(0).ToString());
      latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(reports->at(0) - start).count());
    }
    std::sort(latencies_ms.begin(), latencies_ms.end());
    const double median = latencies_ms[kPublishes / 2];
    MESSAGE("produce -> delivery report, acks=all, linger.ms=", config.kafka.linger_ms, ": median ",
            median, " ms, max ", latencies_ms.back(), " ms over ", kPublishes);
    CHECK(median < static_cast<double>(kMedianBound.count()));
  }

  TEST_CASE("an unreachable broker is librdkafka's 'not written' within the delivery timeout") {
    Config config = testing::LiveConfig();
    // A loopback port nobody listens on.
    config.kafka.brokers = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
    config.kafka.delivery_timeout_ms = 1000;
    constexpr milliseconds kSlack{2000};
    auto reports = std::make_shared<Reports>(1);
    auto producer = ProducerOrFail(config.kafka);
    const auto start = Clock::now();
    producer->PublishAsync({"booking.requests", "k", "v", {}}, Reports::For(reports, 0));
    REQUIRE_MESSAGE(reports->Wait(milliseconds(config.kafka.delivery_timeout_ms) + kSlack),
                    "no report within the delivery timeout");
    const auto took = std::chrono::duration_cast<milliseconds>(reports->at(0) - start);
    MESSAGE("unreachable broker reported after ", took.count(),
            " ms: ", reports->status(0).ToString());
    CHECK_FALSE(reports->status(0).ok());
    CHECK(reports->status(0).IsTransient());
    // Never sent: certainly not written (NOT_PERSISTED), not "unknown", and
    // librdkafka's own verdict, well before the producer's safety net.
    CHECK(reports->status(0).code() == StatusCode::kUnavailable);
    CHECK(took < milliseconds(LongestPublishMs(config.kafka)));
    CHECK(reports->calls(0) == 1);
  }

  TEST_CASE("a message librdkafka refuses is reported at once, on the calling thread") {
    const Config config = testing::LiveConfig();
    auto producer = ProducerOrFail(config.kafka);
    auto reports = std::make_shared<Reports>(1);
    // Past message.max.bytes (librdkafka's default, 1,000,000): refused by produce itself.
    producer->PublishAsync({"booking.requests", "k", std::string(2'000'000, 'x'), {}},
                           Reports::For(reports, 0));
    REQUIRE(reports->Reported(0));
    CHECK_FALSE(reports->status(0).ok());
    CHECK(reports->status(0).code() != StatusCode::kDeadlineExceeded);  // never sent
    CHECK(reports->calls(0) == 1);
  }

  TEST_CASE("a fatal error fails readiness, naming it, and the rebuilt producer writes again") {
    const Config config = testing::LiveConfig();
    const std::string topic = TopicOrFail(config.kafka, "producer-fatal");
    auto producer = ProducerOrFail(config.kafka);
    REQUIRE(producer->Publish({topic, "k", "before", {}}, seconds(10)).ok());
    REQUIRE(producer->Ping(seconds(2)).ok());

    REQUIRE(producer->TestFatalError("injected by the test").ok());
    // At once, before any rebuild: the readiness check says why it fails.
    const Status unready = producer->Ping(seconds(2));
    MESSAGE("readiness after the fatal error: ", unready.ToString());
    CHECK_FALSE(unready.ok());
    CHECK(unready.message().find("test_fatal_error: injected by the test") != std::string::npos);

    // Then the producer is rebuilt: ready again, and a publish is written.
    const auto deadline = Clock::now() + seconds(15);
    Status ping = unready;
    Status published = Status::Unavailable("not tried");
    while (Clock::now() < deadline && !(ping.ok() && published.ok())) {
      std::this_thread::sleep_for(milliseconds(100));
      ping = producer->Ping(seconds(2));
      if (ping.ok()) published = producer->Publish({topic, "k", "after", {}}, seconds(10));
    }
    CHECK_MESSAGE(ping.ok(), "still not ready: ", ping.ToString());
    CHECK_MESSAGE(published.ok(), "publish after the fatal error: ", published.ToString());
    auto on_topic = CountMessages(config.kafka, topic, seconds(10));
    REQUIRE(on_topic.ok());
    CHECK(*on_topic == 2);
  }

  TEST_CASE("events in flight at a fatal error are each answered once, and none lies") {
    // A verdict of "not written" is a promise: none of those may be on the
    // topic; an OK must be. Unknown (kDeadlineExceeded) may go either way.
    constexpr size_t kEvents = 200;
    const Config config = testing::LiveConfig();
    const std::string topic = TopicOrFail(config.kafka, "producer-fatal-inflight");
    auto producer = ProducerOrFail(config.kafka);
    REQUIRE(producer->Publish({topic, "k", "warm", {}}, seconds(10)).ok());
    auto reports = std::make_shared<Reports>(kEvents);
    for (size_t i = 0; i < kEvents; ++i) {
      producer->PublishAsync({topic, "k", "v" + std::to_string(i), {}}, Reports::For(reports, i));
      if (i == kEvents / 2) {
        // Past linger.ms: the first half is sent, or on its way, when it strikes.
        std::this_thread::sleep_for(milliseconds(config.kafka.linger_ms + 3));
        REQUIRE(producer->TestFatalError("mid-burst").ok());
      }
    }
    REQUIRE_MESSAGE(reports->Wait(milliseconds(LongestPublishMs(config.kafka)) + seconds(5)),
                    "a publish was never answered");
    size_t written = 0, not_written = 0, unknown = 0;
    for (size_t i = 0; i < kEvents; ++i) {
      CHECK(reports->calls(i) == 1);
      const Status& s = reports->status(i);
      if (s.ok()) {
        ++written;
      } else if (s.code() == StatusCode::kDeadlineExceeded) {
        ++unknown;
      } else {
        ++not_written;
      }
    }
    MESSAGE(written, " written, ", not_written, " not written, ", unknown, " unknown");
    auto on_topic = CountMessages(config.kafka, topic, seconds(10));
    REQUIRE(on_topic.ok());
    const int64_t events = *on_topic - 1;  // the warm-up
    CHECK(events >= static_cast<int64_t>(written));
    CHECK(events <= static_cast<int64_t>(written + unknown));
  }

  TEST_CASE("closing the producer reports every event it still held, once") {
    constexpr size_t kEvents = 10;
    Config config = testing::LiveConfig();
    config.kafka.brokers = "127.0.0.1:" + std::to_string(testing::FreeLoopbackPort());
    config.kafka.delivery_timeout_ms = 120'000;  // librdkafka would hold them for minutes
    auto reports = std::make_shared<Reports>(kEvents);
    auto producer = ProducerOrFail(config.kafka);
    for (size_t i = 0; i < kEvents; ++i) {
      producer->PublishAsync({"booking.requests", "k", "v", {}}, Reports::For(reports, i));
    }
    CHECK_FALSE(reports->Reported(0));
    producer.reset();
    for (size_t i = 0; i < kEvents; ++i) {
      REQUIRE(reports->Reported(i));
      CHECK(reports->calls(i) == 1);
      CHECK_FALSE(reports->status(i).ok());
      // Purged from the queue, never sent: not written.
      CHECK(reports->status(i).code() != StatusCode::kDeadlineExceeded);
    }
  }
}

}  // namespace
}  // namespace wanderluxe
