// Drill (issue 12): Redis is SIGKILLed in the middle of a flash sale booked
// over HTTP by retrying clients, then restarted on the same state. Redis runs
// AOF with appendfsync everysec (scripts/stack): every write it answered is
// in the file before the answer, so a killed process (not a lost host) loses
// nothing. Holds, sold units and idempotency records must all survive: every
// CONFIRMED booking is in sold:<p>, no unit is sold twice, and every accepted
// request replays its stored 202.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "adapters/http/http_client.h"
#include "adapters/redis/redis_inventory_store.h"
#include "support/drill_env.h"
#include "support/paced_herd.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

// A property's units at one instant: one script reads all three keys, so a
// driver moving a hold to sold meanwhile cannot be counted twice.
struct Units {
  int64_t available = 0;
  std::set<std::string> held, sold;  // bookingIds
};

const RedisScript kReadUnits{
    "drill_read_units",
    "return {redis.call('GET', KEYS[1]) or false, redis.call('HKEYS', KEYS[2]), "
    "redis.call('HKEYS', KEYS[3])}"};

// Right after a restart each pooled connection of the drill's own client
// fails once (the server closed it) and is dropped: retried, bounded.
Units ReadUnits(RedisCommands& redis, const InventoryKeys& keys) {
  Result<RedisReply> reply = Status::Unavailable("not sent");
  testing::WaitUntil(
      [&] {
        reply = redis.Eval(kReadUnits, {keys.available, keys.holds, keys.sold}, {});
        return reply.ok() || !reply.status().IsTransient();
      },
      seconds(10));
  REQUIRE_MESSAGE(reply.ok(), "reading ", keys.available, ": ", reply.status().ToString());
  REQUIRE(reply->elements.size() == 3);
  Units units;
  if (!reply->elements[0].is_nil()) units.available = std::stoll(reply->elements[0].text);
  for (const auto& e : reply->elements[1].elements) units.held.insert(e.text);
  for (const auto& e : reply->elements[2].elements) units.sold.insert(e.text);
  return units;
}

// What is in `a` and not in `b`.
std::vector<std::string> Missing(const std::set<std::string>& a, const std::set<std::string>& b) {
  std::vector<std::string> out;
  std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
  return out;
}

std::string First(const std::vector<std::string>& ids, size_t n = 5) {
  std::string out;
  for (size_t i = 0; i < ids.size() && i < n; ++i) out += " " + ids[i];
  return out + (ids.size() > n ? " ..." : "");
}

// The bookings the gateway accepted (202) without storing the response to
// replay, as its log names them: Redis failed between the publish and the record.
std::set<std::string> UnstoredResponses(const std::string& gateway_log) {
  const std::string prefix = "accepted booking ", suffix = " but could not store its response";
  std::set<std::string> ids;
  for (size_t at = gateway_log.find(suffix); at != std::string::npos;
       at = gateway_log.find(suffix, at + 1)) {
    const size_t from = gateway_log.rfind(prefix, at);
    if (from != std::string::npos) {
      ids.insert(gateway_log.substr(from + prefix.size(), at - from - prefix.size()));
    }
  }
  return ids;
}

// Sends every accepted request again, from a few threads: each must be
// answered 202 with Idempotent-Replayed and the very body of its first 202.
std::vector<std::string> NotReplayed(const std::string& url, const std::string& property,
                                     const std::map<std::string, std::string>& accepted) {
  constexpr size_t kThreads = 8;
  const std::vector<std::pair<std::string, std::string>> items(accepted.begin(), accepted.end());
  std::vector<std::vector<std::string>> wrong(kThreads);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      HttpClient http(url, seconds(10));
      for (size_t i = t; i < items.size(); i += kThreads) {
        const auto& [id, body] = items[i];
        auto r = http.Send("POST", "/api/v1/bookings", {{"Idempotency-Key", id}},
                           testing::BookingJson(id, property));
        const bool replayed = r.ok() && r->status == 202 &&
                              r->Header("Idempotent-Replayed") == "true" && r->body == body;
        if (!replayed) {
          wrong[t].push_back(id + "(" + (r.ok() ? std::to_string(r->status) : "no answer") + ")");
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  std::vector<std::string> all;
  for (const auto& w : wrong) all.insert(all.end(), w.begin(), w.end());
  return all;
}

TEST_SUITE("drill.redis_kill") {
  TEST_CASE("Redis SIGKILLed mid-sale: holds, sold units and idempotency records survive") {
    constexpr int kBookings = 1500, kUnits = 300, kClients = 32;
    constexpr auto kOutage = seconds(5);
    // A bank call long enough that units are held, not yet sold, when Redis dies.
    testing::DrillEnv env(
        {"redis-kill", 6, {"processor.workers=32", "bank.latency_ms=100"}, {"redis"}});
    const std::string property = env.Property("redis", kUnits);
    const InventoryKeys keys = KeysFor(env.config().redis.property_tag, property);
    env.StartEveryRole();

    testing::PacedHerdOptions options;
    options.url = env.gateway_url();
    options.property = property;
    options.booking_ids = env.BookingIds(property, kBookings);
    options.clients = kClients;
    options.pace = std::chrono::milliseconds(250);  // about 15 s for the herd
    testing::PacedHerd herd(std::move(options));

    // Mid-herd and mid-sale: a third of the requests accepted, and units held
    // or sold (read from Redis itself).
    auto taken = [&] {
      auto holds = env.redis().Command({"HLEN", keys.holds});
      auto sold = env.redis().Command({"HLEN", keys.sold});
      return holds.ok() && sold.ok() ? holds->integer + sold->integer : 0;
    };
    REQUIRE_MESSAGE(testing::WaitUntil(
                        [&] { return herd.accepted() >= kBookings / 3 && taken() >= kUnits / 10; },
                        seconds(120)),
                    "after 120 s, ", herd.accepted(), " accepted and ", taken(),
                    " units taken; see ", env.dir());
    // What Redis answered before it dies: all of it must be there after.
    const Units before = ReadUnits(env.redis(), keys);
    const int64_t accepted_before = herd.accepted();
    const int64_t refused_before = herd.refused();
    const double kill_s = herd.Elapsed();
    const auto killed = std::chrono::steady_clock::now();
    env.private_stack().Kill("redis");
    MESSAGE("SIGKILLed Redis at ", kill_s, " s: ", accepted_before, " accepted, ",
            before.held.size(), " held, ", before.sold.size(), " sold");
    // The outage itself (not a readiness wait): the herd and the saga meet it.
    std::this_thread::sleep_until(killed + kOutage);
    const int64_t refused_meanwhile = herd.refused() - refused_before;
    CHECK_MESSAGE(refused_meanwhile > 0, "the gateway did not refuse while Redis was down");
    const double restart_s = herd.Elapsed();
    const double took_s = env.private_stack().Restart("redis");
    MESSAGE("restarted Redis at ", restart_s, " s; up in ", took_s, " s; ", refused_meanwhile,
            " answers 503 while it was down");

    // At once, before any driver could release a hold: nothing answered was lost.
    const Units after = ReadUnits(env.redis(), keys);
    std::set<std::string> taken_after = after.held;
    taken_after.insert(after.sold.begin(), after.sold.end());
    const std::vector<std::string> lost_sold = Missing(before.sold, after.sold);
    const std::vector<std::string> lost_holds = Missing(before.held, taken_after);
    MESSAGE("after the restart: ", after.held.size(), " held, ", after.sold.size(), " sold, ",
            after.available, " available; lost: ", lost_sold.size(), " sold", First(lost_sold),
            ", ", lost_holds.size(), " holds", First(lost_holds));
    CHECK(lost_sold.empty());
    CHECK(lost_holds.empty());
    CHECK(after.available + static_cast<int64_t>(after.held.size() + after.sold.size()) == kUnits);

    const testing::PacedHerdResult result = herd.Wait();
    // Recovered: the first 202 answered after the restart.
    const double recovered_s = result.FirstAfter(202, restart_s + took_s);
    std::string statuses;
    for (const auto& [status, n] : result.status_counts)
      statuses += " " + std::to_string(status) + ":" + std::to_string(n);
    MESSAGE(result.requests(), " requests in ", result.seconds, " s, answers", statuses,
            "; the first 202 after the restart came ", recovered_s - kill_s, " s after the kill, ",
            recovered_s - restart_s - took_s, " s after the restart");
    REQUIRE_MESSAGE(result.not_accepted.empty(), result.not_accepted.size(),
                    " bookings never accepted:", First(result.not_accepted));
    int64_t unexpected = 0;  // refusals are 503 (Redis down) or 409 (a claim left in flight)
    for (const auto& [status, n] : result.status_counts) {
      if (status != 202 && status != 503 && status != 409) unexpected += n;
    }
    CHECK_MESSAGE(unexpected == 0, unexpected, " answers neither 202, 503 nor 409");

    const bool all = env.WaitTerminal({property}, kBookings, seconds(180));
    auto counts = env.Counts({property});
    MESSAGE("after ", herd.Elapsed(), " s: CONFIRMED ", counts[BookingStatus::kConfirmed],
            ", SOLD_OUT ", counts[BookingStatus::kSoldOut], ", FAILED_PAYMENT ",
            counts[BookingStatus::kFailedPayment], ", PARKED ", counts[BookingStatus::kParked],
            ", RESERVED ", counts[BookingStatus::kReserved], ", PENDING ",
            counts[BookingStatus::kPending]);
    REQUIRE_MESSAGE(all, "only ", env.Terminal({property}), " of ", kBookings,
                    " terminal after 180 s; see ", env.dir());

    // Every CONFIRMED booking holds one sold unit, and no unit was sold twice.
    auto confirmed = env.ledger().IdsWithStatus(property, BookingStatus::kConfirmed);
    REQUIRE(confirmed.ok());
    const std::set<std::string> confirmed_ids(confirmed->begin(), confirmed->end());
    const std::set<std::string> sold = ReadUnits(env.redis(), keys).sold;
    const std::vector<std::string> unsold_confirmed = Missing(confirmed_ids, sold);
    const std::vector<std::string> sold_unconfirmed = Missing(sold, confirmed_ids);
    MESSAGE(confirmed_ids.size(), " CONFIRMED, ", sold.size(), " sold of ", kUnits,
            "; CONFIRMED not in sold: ", unsold_confirmed.size(), First(unsold_confirmed),
            "; sold not CONFIRMED: ", sold_unconfirmed.size(), First(sold_unconfirmed));
    CHECK(unsold_confirmed.empty());
    CHECK(sold_unconfirmed.empty());
    CHECK(static_cast<int64_t>(sold.size()) <= kUnits);

    // Every accepted request replays its stored answer, but those whose
    // response the gateway could not store (Redis died between the publish
    // and the record): their claim stays in flight until its TTL.
    const std::set<std::string> unstored = UnstoredResponses(env.ReadLog("gateway"));
    std::map<std::string, std::string> stored = result.accepted;
    for (const auto& id : unstored) stored.erase(id);
    const std::vector<std::string> not_replayed = NotReplayed(env.gateway_url(), property, stored);
    MESSAGE(stored.size(), " accepted requests sent again, ", not_replayed.size(),
            " not replayed:", First(not_replayed), "; ", unstored.size(),
            " accepted without a stored response (not sent again)");
    CHECK(not_replayed.empty());

    REQUIRE_MESSAGE(env.WaitAudited(seconds(120)), "audit did not archive every event; see ",
                    env.dir());
    const auto verified = env.Verify({property});
    CHECK(verified == 0);
    env.Passed(verified == 0 && lost_sold.empty() && lost_holds.empty() &&
               unsold_confirmed.empty() && not_replayed.empty());
  }
}

}  // namespace
}  // namespace wanderluxe
