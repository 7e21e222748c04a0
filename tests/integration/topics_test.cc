// `topics ensure` against the live broker: topics created with the configured
// replication factor and min.insync.replicas, and an existing topic weaker
// than configured refused (issue 30). One broker cannot host a replication
// factor of 2, but it accepts min.insync.replicas above the replication
// factor as a topic config, and a configured factor above the one a topic has
// is refused before anything is created.
#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

#include "adapters/kafka/kafka_admin.h"
#include "roles/topics/topics_role.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

// Deletes its topics when the test ends, whatever happened.
class TopicsToDelete {
 public:
  explicit TopicsToDelete(KafkaConfig config) : config_(std::move(config)) {}
  ~TopicsToDelete() {
    Status s = DeleteTopics(config_, names_);
    if (!s.ok()) MESSAGE("deleting the test's topics: ", s.ToString());
  }
  const std::string& Add(const std::string& name) { return names_.emplace_back(name); }

 private:
  KafkaConfig config_;
  std::vector<std::string> names_;
};

TopicSettings DescribeOrFail(const KafkaConfig& config, const std::string& topic) {
  auto settings = DescribeTopic(config, topic, seconds(10));
  REQUIRE_MESSAGE(settings.ok(), "describe ", topic, ": ", settings.status().ToString());
  return *settings;
}

void CreateOrFail(const KafkaConfig& config, const TopicSpec& spec) {
  auto created = EnsureTopics(config, {spec});
  REQUIRE_MESSAGE(created.ok(), "Kafka at ", config.brokers, ": ", created.status().ToString(),
                  " -- start it with scripts/stack up");
  REQUIRE(created->size() == 1);
  REQUIRE(created->front().created);
}

TEST_SUITE("integration.topics") {
  TEST_CASE("a topic is created with the configured replication factor and min.insync.replicas") {
    const Config config = testing::LiveConfig();
    TopicsToDelete cleanup(config.kafka);
    const std::string& topic = cleanup.Add(testing::UniqueName("topics-create"));
    // min.insync.replicas above the replication factor: a topic config one
    // broker accepts, and one the broker's default (1) would not give.
    CreateOrFail(config.kafka, {topic, 2, 1, 2});
    const TopicSettings settings = DescribeOrFail(config.kafka, topic);
    CHECK(settings.partitions == 2);
    CHECK(settings.replication_factor == 1);
    CHECK(settings.min_insync_replicas == 2);
    // Stronger than asked is accepted as it is.
    auto again = EnsureTopics(config.kafka, {{topic, 2, 1, 1}});
    REQUIRE_MESSAGE(again.ok(), again.status().ToString());
    CHECK_FALSE(again->front().created);
  }

  TEST_CASE("an existing topic with a lower min.insync.replicas is refused, naming both values") {
    const Config config = testing::LiveConfig();
    TopicsToDelete cleanup(config.kafka);
    const std::string& topic = cleanup.Add(testing::UniqueName("topics-weak-isr"));
    CreateOrFail(config.kafka, {topic, 1, 1, 1});
    auto refused = EnsureTopics(config.kafka, {{topic, 1, 1, 2}});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
    MESSAGE(refused.status().ToString());
    CHECK(refused.status().message() ==
          "topic " + topic +
              " has min.insync.replicas 1, below the configured 2 (kafka.min_insync_replicas): "
              "refusing a topic weaker than configured");
    CHECK(DescribeOrFail(config.kafka, topic).min_insync_replicas == 1);  // left as it was
  }

  TEST_CASE("an existing topic with a lower replication factor is refused, naming both values") {
    const Config config = testing::LiveConfig();
    TopicsToDelete cleanup(config.kafka);
    const std::string& topic = cleanup.Add(testing::UniqueName("topics-weak-rf"));
    CreateOrFail(config.kafka, {topic, 1, 1, 1});
    auto refused = EnsureTopics(config.kafka, {{topic, 1, 2, 1}});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().code() == StatusCode::kFailedPrecondition);
    MESSAGE(refused.status().ToString());
    CHECK(refused.status().message() ==
          "topic " + topic +
              " has replication factor 1, below the configured 2 (kafka.replication_factor): "
              "refusing a topic weaker than configured");
  }

  TEST_CASE("`topics ensure` exits non-zero on a topic weaker than configured") {
    Config config = testing::LiveConfig();
    TopicsToDelete cleanup(config.kafka);
    config.kafka.requests_topic = cleanup.Add(testing::UniqueName("topics-role-requests"));
    config.kafka.outcomes_topic = cleanup.Add(testing::UniqueName("topics-role-outcomes"));
    config.kafka.dlq_topic = cleanup.Add(testing::UniqueName("topics-role-dlq"));
    config.kafka.partitions = 2;
    CHECK(RunTopicsEnsure({config, ""}) == kExitOk);
    CHECK(DescribeOrFail(config.kafka, config.kafka.outcomes_topic).min_insync_replicas == 1);
    CHECK(RunTopicsEnsure({config, ""}) == kExitOk);  // all there, as configured
    config.kafka.min_insync_replicas = 2;
    CHECK(RunTopicsEnsure({config, ""}) == kExitFailure);
  }
}

}  // namespace
}  // namespace wanderluxe
