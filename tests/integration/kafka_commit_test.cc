// A consumer's offset commit is an external call like any other: it returns
// within kafka.commit_timeout_ms whatever the broker does. A consumer thread
// blocked in a commit polls nothing, so it cannot take part in a rebalance
// and its group's session expires: the kafka_kill drill once saw the audit
// archive nothing for two minutes after Kafka came back.
#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>

#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/kafka/kafka_producer.h"
#include "support/private_stack.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

// What a commit may take beyond its timeout: scheduling on a loaded machine.
constexpr auto kSlack = seconds(2);
// How long the test waits for a commit that does not return by itself.
constexpr auto kGiveUp = seconds(30);

struct TimedCommit {
  bool returned = false;
  double seconds = 0;
  Status status;
};

// Runs the commit on a thread of its own, so that a commit that never
// returns fails the test instead of hanging it.
TimedCommit CommitWithin(KafkaConsumer& consumer, const CommitPoint& point) {
  auto result = std::make_shared<std::promise<Status>>();
  auto answered = result->get_future();
  const auto start = Clock::now();
  std::thread([&consumer, point, result] { result->set_value(consumer.Commit({point})); }).detach();
  TimedCommit timed;
  timed.returned = answered.wait_for(kGiveUp) == std::future_status::ready;
  timed.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (timed.returned) timed.status = answered.get();
  return timed;
}

// A consumer of a private broker's one-partition topic that has consumed
// its one event: it holds the partition and an open group session.
struct ConsumingMember {
  Config config;
  std::string topic;
  std::unique_ptr<KafkaConsumer> consumer;
};

ConsumingMember JoinAndConsume(testing::PrivateStack& stack, const std::string& name) {
  ConsumingMember m{testing::LiveConfig(), testing::UniqueName(name), nullptr};
  m.config.kafka.brokers = "127.0.0.1:" + std::to_string(stack.Port("kafka"));
  REQUIRE(EnsureTopics(m.config.kafka, {{m.topic, 1, 1}}).ok());
  auto producer = KafkaProducer::Create(m.config.kafka);
  REQUIRE(producer.ok());
  REQUIRE((*producer)->Publish({m.topic, "k", "v", {}}, seconds(10)).ok());
  auto consumer = KafkaConsumer::Create(m.config.kafka, testing::UniqueName(name + "-group"));
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Subscribe({m.topic}).ok());
  bool consumed = false;
  const auto deadline = Clock::now() + seconds(30);
  while (!consumed && Clock::now() < deadline) {
    auto polled = (*consumer)->Poll(milliseconds(200));
    consumed = polled.ok() && polled->has_value();
  }
  REQUIRE_MESSAGE(consumed, "nothing consumed within 30 s: no partition assigned");
  m.consumer = std::move(*consumer);
  return m;
}

TEST_SUITE("integration.kafka_commit") {
  TEST_CASE("a commit returns within commit_timeout_ms while the broker is stopped, then dead") {
    testing::PrivateStack stack({"kafka"},
                                "/tmp/wanderluxe-kafka-commit-" + testing::UniqueName("s"));
    ConsumingMember member = JoinAndConsume(stack, "commit-bound");
    const Config& config = member.config;
    const std::string& topic = member.topic;
    auto consumer = &member.consumer;
    REQUIRE((*consumer)->Commit({{topic, 0, 1}}).ok());

    const double bound =
        std::chrono::duration<double>(milliseconds(config.kafka.commit_timeout_ms) + kSlack)
            .count();
    // Stopped: the connection stays open and no answer ever comes.
    REQUIRE(kill(stack.Pid("kafka"), SIGSTOP) == 0);
    const TimedCommit stopped = CommitWithin(**consumer, {topic, 0, 1});
    REQUIRE(kill(stack.Pid("kafka"), SIGCONT) == 0);
    MESSAGE("broker stopped: returned ", stopped.returned, " after ", stopped.seconds,
            " s: ", stopped.status.ToString());
    CHECK(stopped.returned);
    CHECK(stopped.seconds <= bound);
    CHECK_FALSE(stopped.status.ok());

    // Dead: connections refused until it is back.
    stack.Kill("kafka");
    const TimedCommit dead = CommitWithin(**consumer, {topic, 0, 1});
    MESSAGE("broker dead: returned ", dead.returned, " after ", dead.seconds,
            " s: ", dead.status.ToString());
    CHECK(dead.returned);
    CHECK(dead.seconds <= bound);
    CHECK_FALSE(dead.status.ok());
    // Back up before the consumer and producer close: closing against a dead
    // broker is a wait of its own (not this test's subject).
    stack.Restart("kafka");
    // A commit still waiting holds the consumer: leak it rather than destroy
    // it under that thread (only when the test has already failed).
    if (!stopped.returned || !dead.returned) static_cast<void>((*consumer).release());
  }

  // A role told to stop while Kafka hangs must still stop: closing the
  // consumer (leave the group, hand back the partitions) is bounded by the
  // session timeout, after which the coordinator has dropped the member anyway.
  // A stopped broker is the harder case: a dead one refuses the connection and
  // close returned in 1 ms; a stopped one holds it open (3.0 s here).
  TEST_CASE("closing a consumer returns within session_timeout_ms while the broker is stopped") {
    testing::PrivateStack stack({"kafka"},
                                "/tmp/wanderluxe-kafka-close-" + testing::UniqueName("s"));
    ConsumingMember member = JoinAndConsume(stack, "close-bound");
    const Config& config = member.config;
    auto consumer = &member.consumer;

    REQUIRE(kill(stack.Pid("kafka"), SIGSTOP) == 0);
    auto closed = std::make_shared<std::promise<void>>();
    auto done = closed->get_future();
    const auto start = Clock::now();
    KafkaConsumer* raw = consumer->get();
    std::thread([raw, closed] {
      raw->Close();
      closed->set_value();
    }).detach();
    const bool returned = done.wait_for(kGiveUp) == std::future_status::ready;
    const double took = std::chrono::duration<double>(Clock::now() - start).count();
    MESSAGE("close against a stopped broker: returned ", returned, " after ", took, " s");
    CHECK(returned);
    CHECK(took <=
          std::chrono::duration<double>(milliseconds(config.kafka.session_timeout_ms) + kSlack)
              .count());
    REQUIRE(kill(stack.Pid("kafka"), SIGCONT) == 0);
    // A close still running holds the consumer: leak it rather than destroy it
    // under that thread (only when the test has already failed).
    if (!returned) static_cast<void>(consumer->release());
  }
}

}  // namespace
}  // namespace wanderluxe
