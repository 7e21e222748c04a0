// RedisIdempotencyStore against the live Redis: the string record (claim by
// SET NX GET) and each step by two callers at once.
#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <memory>

#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_idempotency_store.h"
#include "adapters/redis/redis_pipeline.h"
#include "support/child_process.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr milliseconds kTtl{60'000};

struct StoreFixture {
  StoreFixture() : config(testing::LiveConfig()), pipeline(config.redis, 2, 1024) {
    auto client = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(client.ok(), client.status().ToString(), " -- start it with scripts/stack up");
    redis = std::move(*client);
    store = std::make_unique<RedisIdempotencyStore>(*redis, pipeline);
    key = testing::UniqueName("idem-store");
  }
  Result<IdempotencyClaim> Claim(const std::string& fingerprint, const std::string& token,
                                 milliseconds in_flight_ttl = kTtl) {
    std::promise<Result<IdempotencyClaim>> answered;
    store->ClaimAsync(key, fingerprint, token, in_flight_ttl, kTtl,
                      [&](Result<IdempotencyClaim> c) { answered.set_value(std::move(c)); });
    return answered.get_future().get();
  }
  Status Complete(const std::string& token, const std::string& response) {
    std::promise<Status> answered;
    AcceptedBooking accepted;
    accepted.request = {testing::UniqueName("b"), "p", "u", {100, "USD"}, "", ""};
    accepted.event_id = "e";
    accepted.accepted_at = "2026-11-26T00:00:00.000Z";
    store->CompleteAsync(key, token, response, accepted, kTtl,
                         [&](Status s) { answered.set_value(std::move(s)); });
    return answered.get_future().get();
  }
  // True when the key is marked unknown.
  Result<bool> DropClaim(const std::string& token) {
    std::promise<Result<bool>> answered;
    store->DropClaimAsync(key, token, [&](Result<bool> r) { answered.set_value(std::move(r)); });
    return answered.get_future().get();
  }
  Status MarkUnknown() {
    std::promise<Status> answered;
    store->MarkUnknownAsync(key, kTtl, [&](Status s) { answered.set_value(std::move(s)); });
    return answered.get_future().get();
  }

  Config config;
  RedisPipeline pipeline;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<RedisIdempotencyStore> store;
  std::string key;
};

// A fingerprint as BookingRequest::Fingerprint makes them: fields joined by 0x1F.
const std::string kFingerprint =
    "b-1\x1fprop\x1fuser\x1fUSD\x1f\x1f\x1f"
    "1000";

TEST_SUITE("integration.idempotency_store") {
  TEST_CASE_FIXTURE(StoreFixture,
                    "claim, complete, replay: the record round-trips any fingerprint") {
    auto first = Claim(kFingerprint, "tok-a");
    REQUIRE_MESSAGE(first.ok(), first.status().ToString());
    CHECK(first->state == IdempotencyClaim::State::kClaimed);
    // A second caller meets the first's claim in flight, with its fingerprint.
    auto second = Claim(kFingerprint, "tok-b");
    REQUIRE(second.ok());
    CHECK(second->state == IdempotencyClaim::State::kInFlight);
    CHECK(second->fingerprint == kFingerprint);
    // Only the holder completes or drops it.
    CHECK(Complete("tok-b", R"({"status":"ACCEPTED"})").code() == StatusCode::kFailedPrecondition);
    REQUIRE(DropClaim("tok-b").ok());
    REQUIRE(Complete("tok-a", R"({"status":"ACCEPTED"})").ok());
    auto replay = Claim(kFingerprint, "tok-c");
    REQUIRE(replay.ok());
    CHECK(replay->state == IdempotencyClaim::State::kDone);
    CHECK(replay->fingerprint == kFingerprint);
    CHECK(replay->response == R"({"status":"ACCEPTED"})");
    auto ttl = redis->Command({"PTTL", RedisIdempotencyStore::RedisKey(redis->config(), key)});
    REQUIRE(ttl.ok());
    CHECK(ttl->integer > 0);
  }

  TEST_CASE_FIXTURE(StoreFixture, "dropping a claim frees only the holder's unfinished claim") {
    REQUIRE(Claim(kFingerprint, "tok-a").ok());
    REQUIRE(DropClaim("tok-other").ok());
    CHECK(Claim(kFingerprint, "tok-b")->state == IdempotencyClaim::State::kInFlight);
    REQUIRE(DropClaim("tok-a").ok());
    CHECK(Claim(kFingerprint, "tok-b")->state == IdempotencyClaim::State::kClaimed);
    REQUIRE(Complete("tok-b", "{}").ok());
    REQUIRE(DropClaim("tok-b").ok());  // done: stays
    CHECK(Claim(kFingerprint, "tok-c")->state == IdempotencyClaim::State::kDone);
  }

  TEST_CASE_FIXTURE(StoreFixture,
                    "a key marked unknown keeps its claim, and every later dropped claim says so") {
    REQUIRE(Claim(kFingerprint, "tok-a").ok());
    auto unmarked = DropClaim("tok-a");
    REQUIRE(unmarked.ok());
    CHECK_FALSE(*unmarked);
    REQUIRE(Claim(kFingerprint, "tok-b")->state == IdempotencyClaim::State::kClaimed);
    REQUIRE(MarkUnknown().ok());
    // The mark leaves the claim in flight: a retry meanwhile is told so.
    CHECK(Claim(kFingerprint, "tok-c")->state == IdempotencyClaim::State::kInFlight);
    auto ttl = redis->Command({"PTTL", RedisIdempotencyStore::UnknownKey(redis->config(), key)});
    REQUIRE(ttl.ok());
    CHECK(ttl->integer > 0);
    CHECK(ttl->integer <= kTtl.count());
    // The holder's dropped claim (its copy certainly not written) finds the mark,
    // and so does every later attempt's.
    auto marked = DropClaim("tok-b");
    REQUIRE(marked.ok());
    CHECK(*marked);
    REQUIRE(Claim(kFingerprint, "tok-d")->state == IdempotencyClaim::State::kClaimed);
    auto again = DropClaim("tok-d");
    REQUIRE(again.ok());
    CHECK(*again);
    CHECK(Claim(kFingerprint, "tok-e")->state == IdempotencyClaim::State::kClaimed);
  }

  // A gateway killed after its publish left the broker, before the verdict:
  // its claim lapses, and the key's next holder cannot know what that
  // publish did. Found by the nemesis (a 503 whose event was on the topic).
  TEST_CASE_FIXTURE(StoreFixture,
                    "a claim whose holder vanished lapses; the next holder's release says an "
                    "earlier attempt may have been written") {
    constexpr milliseconds kShortInFlight{200};
    REQUIRE(Claim(kFingerprint, "tok-a", kShortInFlight)->state ==
            IdempotencyClaim::State::kClaimed);
    // tok-a never completes nor releases. Its claim lapses; tok-b takes the key.
    const bool taken = testing::WaitUntil(
        [&] {
          auto claim = Claim(kFingerprint, "tok-b");
          return claim.ok() && claim->state == IdempotencyClaim::State::kClaimed;
        },
        seconds(10));
    REQUIRE(taken);
    auto marked = DropClaim("tok-b");  // tok-b's own copy certainly not written
    REQUIRE(marked.ok());
    CHECK_MESSAGE(*marked, "tok-a's copy may be on the topic: tok-b must not answer 503");
  }

  TEST_CASE_FIXTURE(StoreFixture,
                    "the only attempt, certainly not written, is told so; a completed one "
                    "leaves no mark") {
    REQUIRE(Claim(kFingerprint, "tok-a")->state == IdempotencyClaim::State::kClaimed);
    auto first = DropClaim("tok-a");
    REQUIRE(first.ok());
    CHECK_FALSE(*first);
    REQUIRE(Claim(kFingerprint, "tok-b")->state == IdempotencyClaim::State::kClaimed);
    REQUIRE(Complete("tok-b", "{}").ok());
    auto mark = redis->Command({"EXISTS", RedisIdempotencyStore::UnknownKey(redis->config(), key)});
    REQUIRE(mark.ok());
    CHECK(mark->integer == 0);
  }

  TEST_CASE_FIXTURE(StoreFixture, "two callers claim one key at once: exactly one holds it") {
    constexpr int kRounds = 200;
    int both = 0, neither = 0;
    for (int i = 0; i < kRounds; ++i) {
      key = testing::UniqueName("idem-race");
      std::promise<Result<IdempotencyClaim>> a, b;
      store->ClaimAsync(key, kFingerprint, "tok-a", kTtl, kTtl,
                        [&](Result<IdempotencyClaim> c) { a.set_value(std::move(c)); });
      auto claim_b = Claim(kFingerprint, "tok-b");
      auto claim_a = a.get_future().get();
      REQUIRE((claim_a.ok() && claim_b.ok()));
      const bool a_holds = claim_a->state == IdempotencyClaim::State::kClaimed;
      const bool b_holds = claim_b->state == IdempotencyClaim::State::kClaimed;
      both += a_holds && b_holds;
      neither += !a_holds && !b_holds;
    }
    CHECK(both == 0);
    CHECK(neither == 0);
  }
}

}  // namespace
}  // namespace wanderluxe
