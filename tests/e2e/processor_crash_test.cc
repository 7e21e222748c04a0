// Drill: the processor is SIGKILLed in the middle of a flash sale and started
// again. Every accepted booking must end terminal, with no oversell, no double
// charge and no leaked hold (I1-I4), the bank's book surviving in its own role.
#include <doctest/doctest.h>
#include <signal.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "adapters/http/http_client.h"
#include "adapters/kafka/kafka_admin.h"
#include "adapters/mongo/mongo_ledger.h"
#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_inventory_store.h"
#include "support/booking_events.h"
#include "support/child_process.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

TEST_SUITE("e2e.processor_crash") {
  TEST_CASE("processor SIGKILLed mid-sale and restarted: all terminal, 5 sold, 5 charges") {
    const std::string dir = "/tmp/" + testing::UniqueName("wanderluxe-crash");
    std::filesystem::create_directories(dir);
    const int port = testing::FreeLoopbackPort();
    const std::string requests = testing::UniqueName("crash-requests");
    const std::string outcomes = testing::UniqueName("crash-outcomes");
    const std::string dlq = testing::UniqueName("crash-dlq");
    const std::string database = "crash" + std::to_string(port);
    const std::string property = testing::UniqueName("prop-crash");
    const std::vector<std::string> sets = {
        "kafka.requests_topic=" + requests,
        "kafka.outcomes_topic=" + outcomes,
        "kafka.dlq_topic=" + dlq,
        "processor.group_id=" + testing::UniqueName("crash-group"),
        "processor.admin_port=0",
        "processor.workers=16",
        "mongo.database=" + database,
        "bank.mode=http",
        "bank.port=" + std::to_string(port),
        "bank.url=http://127.0.0.1:" + std::to_string(port),
        "bank.latency_ms=100",
        "bank.book_path=" + dir + "/charges.jsonl"};
    std::vector<std::string> flags;
    for (const auto& s : sets) flags.insert(flags.end(), {"--set", s});
    auto args = [&](const std::string& role) {
      std::vector<std::string> a = {role};
      a.insert(a.end(), flags.begin(), flags.end());
      return a;
    };
    const Config config = testing::LiveConfig(sets);
    REQUIRE_MESSAGE(
        EnsureTopics(config.kafka, {{requests, 3, 1}, {outcomes, 3, 1}, {dlq, 1, 1}}).ok(),
        "Kafka down -- start it with scripts/stack up");
    auto redis = RedisClient::Connect(config.redis);
    auto mongo = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE((redis.ok() && mongo.ok()), "Redis or FerretDB down -- scripts/stack up");
    RedisInventoryStore inventory(**redis);
    MongoLedger ledger(**mongo);
    REQUIRE(inventory.Seed(property, 5, true).ok());

    constexpr int kBookings = 300;
    testing::PublishBookings(config.kafka, requests, property, property + "-", kBookings, 10000);
    auto terminal = [&] {
      auto c = ledger.CountByStatus(property);
      if (!c.ok()) return int64_t{0};
      return (*c)[BookingStatus::kConfirmed] + (*c)[BookingStatus::kSoldOut] +
             (*c)[BookingStatus::kFailedPayment];
    };

    testing::ChildProcess bank(args("bank"), dir + "/bank.log");
    {
      testing::ChildProcess processor(args("processor"), dir + "/processor-1.log");
      REQUIRE_MESSAGE(testing::WaitUntil([&] { return terminal() >= 20; }, seconds(60)),
                      "the processor made no progress; see ", dir);
      processor.Signal(SIGKILL);
      CHECK(processor.Wait(seconds(10)) == 128 + SIGKILL);
    }
    const int64_t before = terminal();
    testing::ChildProcess processor(args("processor"), dir + "/processor-2.log");
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return terminal() >= kBookings; }, seconds(120)),
                    "terminal ", terminal(), " of ", kBookings, "; see ", dir);
    processor.Signal(SIGTERM);
    CHECK(processor.Wait(seconds(60)) == 0);

    auto counts = ledger.CountByStatus(property).value();
    const InventoryLevels levels = inventory.Levels(property).value();
    CHECK(counts[BookingStatus::kConfirmed] == 5);  // I1
    CHECK(levels.sold == 5);
    CHECK(levels.held == 0);                                   // I2: nothing leaked
    CHECK(levels.available + levels.held + levels.sold == 5);  // I2: conserved
    CHECK(counts[BookingStatus::kPending] + counts[BookingStatus::kReserved] == 0);  // I4
    HttpClient http("http://127.0.0.1:" + std::to_string(port), seconds(5));
    auto book = http.Send("GET", "/v1/charges");
    REQUIRE(book.ok());
    const auto charges = nlohmann::json::parse(book->body);
    int captured = 0;
    for (const auto& c : charges["charges"]) captured += c["status"] == "CAPTURED";
    CHECK(captured == 5);  // I3: exactly one capture per confirmed booking
    MESSAGE("terminal before the kill: ", before, " of ", kBookings);
    bank.Signal(SIGTERM);
    CHECK(bank.Wait(seconds(30)) == 0);
    std::filesystem::remove_all(dir);
  }
}

}  // namespace
}  // namespace wanderluxe
