// Drill (issue 12): the Kafka broker is SIGKILLed in the middle of a flash
// sale booked over HTTP by retrying clients, then restarted on the same log.
// A 202 is given only after acks=all: every booking answered 202 must be on
// the requests topic after the restart; every other answer must be a 503
// that left nothing behind (its idempotency claim released) or a 504 (the
// outcome unknown, its claim kept: a retry meanwhile is told 409), each
// retried until accepted. The processor and the audit reconnect on their own
// and finish everything; verify passes. drill.kafka_answers holds every
// answer against the topic.
#include <doctest/doctest.h>

#include <atomic>
#include <nlohmann/json.hpp>
#include <set>

#include "adapters/redis/redis_idempotency_store.h"
#include "support/drill_env.h"
#include "support/paced_herd.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

std::string First(const std::vector<std::string>& ids, size_t n = 5) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < n; ++i) out += " " + ids[i];
  return out + (ids.size() > n ? " ..." : "");
}

TEST_SUITE("drill.kafka_kill") {
  TEST_CASE("Kafka SIGKILLed mid-herd: every 202 is on the topic, the rest are 503s or 504s") {
    constexpr int kBookings = 1000, kUnits = 50, kClients = 32;
    testing::DrillEnv env({"kafka-kill", 6, {"processor.workers=32"}, {"kafka"}});
    const std::string property = env.Property("kafka", kUnits);
    env.StartEveryRole();

    // A 503 must leave no idempotency record behind (Redis is the live one).
    std::atomic<int64_t> unclean{0};
    testing::PacedHerdOptions options;
    options.url = env.gateway_url();
    options.property = property;
    options.booking_ids = env.BookingIds(property, kBookings);
    options.clients = kClients;
    options.pace = std::chrono::milliseconds(250);  // about 10 s for the herd, outage aside
    options.on_answer = [&](const std::string& id, int status) {
      if (status != 503) return;
      auto exists = env.redis().Command(
          {"EXISTS", RedisIdempotencyStore::RedisKey(env.redis().config(), id)});
      if (!exists.ok() || exists->integer != 0) ++unclean;
    };
    testing::PacedHerd herd(std::move(options));

    REQUIRE_MESSAGE(
        testing::WaitUntil([&] { return herd.accepted() >= kBookings / 3; }, seconds(120)), "only ",
        herd.accepted(), " accepted after 120 s; see ", env.dir());
    const int64_t accepted_before = herd.accepted();
    const int64_t refused_before = herd.refused();
    const double kill_s = herd.Elapsed();
    env.private_stack().Kill("kafka");
    MESSAGE("SIGKILLed Kafka at ", kill_s, " s, with ", accepted_before, " accepted");
    // No pause of our own: the broker is down for as long as it takes to restart.
    const double restart_s = herd.Elapsed();
    const double took_s = env.private_stack().Restart("kafka");
    const int64_t refused_meanwhile = herd.refused() - refused_before;
    MESSAGE("restarted Kafka at ", restart_s, " s; up in ", took_s, " s; ", refused_meanwhile,
            " answers 503 or 504 meanwhile");
    CHECK_MESSAGE(refused_meanwhile > 0, "the gateway did not refuse while Kafka was down");

    const testing::PacedHerdResult result = herd.Wait();
    // Recovered: the first 202 answered after the restart.
    const double recovered_s = result.FirstAfter(202, restart_s + took_s);
    std::string statuses;
    for (const auto& [status, n] : result.status_counts)
      statuses += " " + std::to_string(status) + ":" + std::to_string(n);
    MESSAGE(result.requests(), " requests in ", result.seconds, " s, answers", statuses,
            "; the first 202 after the restart came ", recovered_s - kill_s, " s after the kill, ",
            recovered_s - restart_s - took_s, " s after the restart; ", unclean.load(),
            " 503s left an idempotency record");
    REQUIRE_MESSAGE(result.not_accepted.empty(), result.not_accepted.size(),
                    " bookings never accepted:", First(result.not_accepted));
    // A 409 is a retry meeting the claim a 504 kept while its event may land.
    int64_t unexpected = 0;
    for (const auto& [status, n] : result.status_counts) {
      if (status != 202 && status != 503 && status != 504 && status != 409) unexpected += n;
    }
    CHECK_MESSAGE(unexpected == 0, unexpected, " answers neither 202, 503, 504 nor 409");
    if (result.status_counts.count(409) > 0) {
      CHECK_MESSAGE(result.status_counts.count(504) > 0, "409s without a 504 to keep a claim");
    }
    CHECK(unclean == 0);

    // Every 202 is on the topic. A booking may be there twice: a publish
    // whose outcome was unknown (504) may have landed, then its retry too.
    std::map<std::string, int> on_topic;  // bookingId -> events
    for (const auto& e : env.ReadTopic(env.config().kafka.requests_topic)) {
      const auto json = nlohmann::json::parse(e.value, nullptr, false);
      if (json.is_object()) ++on_topic[json["payload"]["bookingId"].get<std::string>()];
    }
    std::vector<std::string> missing;
    int64_t twice = 0;
    for (const auto& [id, body] : result.accepted) {
      if (!on_topic.count(id)) missing.push_back(id);
    }
    for (const auto& [id, n] : on_topic) twice += n > 1 ? 1 : 0;
    MESSAGE(result.accepted.size(), " accepted, ", on_topic.size(), " bookings on the topic (",
            twice, " of them twice or more); accepted but not on the topic: ", missing.size(),
            First(missing));
    CHECK(missing.empty());

    const bool all = env.WaitTerminal({property}, kBookings, seconds(180));
    auto counts = env.Counts({property});
    MESSAGE("after ", herd.Elapsed(), " s: CONFIRMED ", counts[BookingStatus::kConfirmed],
            ", SOLD_OUT ", counts[BookingStatus::kSoldOut], ", FAILED_PAYMENT ",
            counts[BookingStatus::kFailedPayment], ", PARKED ", counts[BookingStatus::kParked],
            ", RESERVED ", counts[BookingStatus::kReserved], ", PENDING ",
            counts[BookingStatus::kPending]);
    REQUIRE_MESSAGE(all, "only ", env.Terminal({property}), " of ", kBookings,
                    " terminal after 180 s; see ", env.dir());
    CHECK(counts[BookingStatus::kConfirmed] == kUnits);

    REQUIRE_MESSAGE(env.WaitAudited(seconds(120)), "audit did not archive every event; see ",
                    env.dir());
    const bool filed_once = env.CheckAuditFilesByEvent(seconds(60));
    const auto verified = env.Verify({property});
    CHECK(verified == 0);
    env.Passed(verified == 0 && filed_once && missing.empty() && unclean == 0 &&
               counts[BookingStatus::kConfirmed] == kUnits);
  }
}

}  // namespace
}  // namespace wanderluxe
