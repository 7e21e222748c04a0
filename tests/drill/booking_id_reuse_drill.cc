// Drill 4 (issue 11): the same bookingId sent for two properties under two
// Idempotency-Keys, through the gateway, the properties on different
// partitions owned by two processors. Both may reserve before one ledger
// insert wins; the loser must not keep its hold: at quiescence `holds:<p>` is
// empty for both properties.
#include <doctest/doctest.h>

#include <cstdint>
#include <set>
#include <thread>

#include "adapters/http/http_client.h"
#include "adapters/kafka/kafka_admin.h"
#include "support/drill_env.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

// librdkafka's default partitioner (consistent_random): CRC-32 of the key.
uint32_t Crc32(const std::string& data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (unsigned char c : data) {
    crc ^= c;
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return ~crc;
}

TEST_SUITE("drill.booking_id_reuse") {
  TEST_CASE("one bookingId for two properties on two processors: no hold leaked") {
    constexpr int kPairs = 20, kPartitions = 2;
    testing::DrillEnv env({"reuse", kPartitions, {}});
    // Two properties whose keys land on different partitions.
    const std::string first = testing::UniqueName("prop-drill-reuse-a");
    std::string second = testing::UniqueName("prop-drill-reuse-b");
    while (Crc32(second) % kPartitions == Crc32(first) % kPartitions) {
      second = testing::UniqueName("prop-drill-reuse-b");
    }
    for (const auto& p : {first, second}) REQUIRE(env.inventory().Seed(p, kPairs * 2, true).ok());
    const std::vector<std::string> properties = {first, second};

    env.StartBank();
    env.StartAudit();
    env.StartProcessor("processor-1");
    env.StartProcessor("processor-2");
    env.StartGateway();
    // Each processor owns one partition before the first request.
    REQUIRE_MESSAGE(testing::WaitUntil(
                        [&] {
                          return env.LogContains("processor-1", "assigned 1 partitions") &&
                                 env.LogContains("processor-2", "assigned 1 partitions");
                        },
                        seconds(60)),
                    "the two processors did not split the partitions; see ", env.dir());

    const auto start = std::chrono::steady_clock::now();
    std::atomic<int> accepted{0}, refused{0};
    for (int i = 0; i < kPairs; ++i) {
      const std::string booking = testing::UniqueName("reuse");
      std::vector<std::thread> pair;
      for (const auto& property : properties) {
        pair.emplace_back([&, property] {
          HttpClient client(env.gateway_url(), seconds(10));
          auto r = client.Send("POST", "/api/v1/bookings",
                               {{"Idempotency-Key", testing::UniqueName("key")}},
                               R"({"bookingId":")" + booking + R"(","propertyId":")" + property +
                                   R"(","amount":100.00,"currency":"USD"})");
          (r.ok() && r->status == 202 ? accepted : refused)++;
        });
      }
      for (auto& t : pair) t.join();
    }
    MESSAGE(kPairs, " pairs sent: ", accepted.load(), " answered 202, ", refused.load(), " not");
    REQUIRE(accepted == 2 * kPairs);

    // The two properties really are on two partitions.
    std::map<std::string, std::set<int32_t>> partitions;
    for (const auto& e : env.ReadTopic(env.config().kafka.requests_topic))
      partitions[e.key].insert(e.partition);
    REQUIRE(partitions[first].size() == 1);
    REQUIRE(partitions[second].size() == 1);
    CHECK(*partitions[first].begin() != *partitions[second].begin());

    // Every event was answered: one terminal outcome and one REJECTED per pair.
    const bool answered = testing::WaitUntil(
        [&] {
          auto n = CountMessages(env.config().kafka, env.config().kafka.outcomes_topic, seconds(5));
          return n.ok() && *n >= 2 * kPairs;
        },
        seconds(90));
    REQUIRE_MESSAGE(answered, "not every event got an outcome in 90 s; see ", env.dir());
    REQUIRE(env.WaitTerminal(properties, kPairs, seconds(60)));

    auto held = [&] {
      int64_t n = 0;
      for (const auto& p : properties) {
        auto levels = env.inventory().Levels(p);
        if (levels.ok()) n += levels->held;
      }
      return n;
    };
    // Quiescence: every booking is terminal; a release still on its way gets a bound.
    const bool released = testing::WaitUntil([&] { return held() == 0; }, seconds(10));
    auto counts = env.Counts(properties);
    MESSAGE("after ", testing::SecondsSince(start), " s: CONFIRMED ",
            counts[BookingStatus::kConfirmed], ", ledger records ", env.Terminal(properties),
            " for ", kPairs, " bookingIds; holds left: ", held(), " (", first, ": ",
            env.inventory().Levels(first)->held, ", ", second, ": ",
            env.inventory().Levels(second)->held, ")");
    CHECK_MESSAGE(released, held(), " holds leaked by the losing duplicates");

    REQUIRE_MESSAGE(env.WaitAudited(seconds(120)), "audit did not archive every event; see ",
                    env.dir());
    const auto verified = env.Verify(properties);
    CHECK(verified == 0);
    env.Passed(verified == 0 && released);
  }
}

}  // namespace
}  // namespace wanderluxe
