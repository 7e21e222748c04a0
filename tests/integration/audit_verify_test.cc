// I6 as `loadtest --audit-wait` checks it (issue 16), against the live Kafka
// and FerretDB: the checker waits for an audit that is still archiving, and
// fails, naming what is missing, when the audit never catches up in time.
// Two actors: the checker polling the archive, and an archiver writing to it.
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/mongo/mongo_archive.h"
#include "adapters/mongo/mongo_store.h"
#include "adapters/redis/redis_client.h"
#include "roles/common/invariants.h"
#include "support/booking_events.h"
#include "support/servers.h"
#include "wanderluxe/audit_record.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr int kEvents = 20;
constexpr seconds kReadBound{30};

// The topic's events as the audit would archive them.
std::vector<AuditRecord> ReadAsArchived(const Config& config) {
  auto consumer = KafkaConsumer::Create(config.kafka, testing::UniqueName("audit-verify"));
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Subscribe({config.kafka.requests_topic}).ok());
  std::vector<AuditRecord> records;
  const auto deadline = std::chrono::steady_clock::now() + kReadBound;
  while (records.size() < kEvents && std::chrono::steady_clock::now() < deadline) {
    auto polled = (*consumer)->Poll(milliseconds(200));
    if (polled.ok() && polled->has_value()) records.push_back(MakeAuditRecord(**polled, ""));
  }
  (*consumer)->Close();
  REQUIRE(records.size() == kEvents);
  return records;
}

TEST_SUITE("integration.audit_verify") {
  TEST_CASE("I6 waits for an audit still archiving, and names what never arrived") {
    const std::string run = testing::UniqueName("audit-verify");
    Config config = testing::LiveConfig(
        {"mongo.database=" + run, "kafka.requests_topic=" + run + ".requests",
         "kafka.outcomes_topic=" + run + ".outcomes", "kafka.dlq_topic=" + run + ".dlq"});
    REQUIRE(EnsureTopics(config.kafka, BookingTopics(config.kafka)).ok());
    const std::string property = testing::UniqueName("prop-av");
    testing::PublishBookings(config.kafka, config.kafka.requests_topic, property, "b-", kEvents,
                             1000, "user-1");
    const std::vector<AuditRecord> records = ReadAsArchived(config);

    auto redis = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(redis.ok(), redis.status().ToString(), " -- start it with scripts/stack up");
    auto store = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString(), " -- start it with scripts/stack up");
    MongoArchive archive(**store, config.audit.collection);
    InvariantChecker checker(config, **redis, **store);

    // Half archived, and the audit stalls: the bounded wait ends in a FAIL.
    const std::vector<AuditRecord> first(records.begin(), records.begin() + kEvents / 2);
    REQUIRE(archive.Append(first).ok());
    const InvariantResult stalled = checker.AwaitAudit({property}, seconds(2));
    CHECK(stalled.id == "I6");
    CHECK(stalled.verdict == InvariantResult::Verdict::kFail);
    CHECK_FALSE(stalled.details.empty());

    // The audit catches up while the checker waits: it sees it and passes.
    std::thread archiver([&] {
      // A slow audit, not a wait for readiness: the checker is meant to look
      // before this lands (its topic read alone takes about a second).
      std::this_thread::sleep_for(seconds(2));
      const std::vector<AuditRecord> rest(records.begin() + kEvents / 2, records.end());
      CHECK(archive.Append(rest).ok());
    });
    const auto started = std::chrono::steady_clock::now();
    const InvariantResult caught_up = checker.AwaitAudit({property}, kReadBound);
    archiver.join();
    CHECK(caught_up.verdict == InvariantResult::Verdict::kPass);
    CHECK(std::chrono::steady_clock::now() - started < kReadBound);
    CHECK((*store)->DropCollection(config.audit.collection).ok());
  }
}

}  // namespace
}  // namespace wanderluxe
