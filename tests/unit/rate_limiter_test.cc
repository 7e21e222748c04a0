// Per-client token buckets over a clock the test moves: a burst, then the
// rate; clients apart; the map bounded under a flood of new clients.
#include <doctest/doctest.h>

#include <string>

#include "fakes/fake_status.h"
#include "wanderluxe/rate_limiter.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;

TEST_SUITE("unit.rate_limiter") {
  TEST_CASE("a burst, then the rate; the refusal says when a token is back") {
    fakes::FakeSteadyClock clock;
    RateLimiter limiter({2.0, 3, 100}, clock);
    for (int i = 0; i < 3; ++i) CHECK(limiter.Take("a").allowed);
    const RateDecision refused = limiter.Take("a");
    CHECK_FALSE(refused.allowed);
    CHECK(refused.retry_after == milliseconds(500));  // 2 a second: one back in 0.5 s
    clock.Advance(milliseconds(499));
    CHECK_FALSE(limiter.Take("a").allowed);
    clock.Advance(milliseconds(1));
    CHECK(limiter.Take("a").allowed);
    CHECK_FALSE(limiter.Take("a").allowed);
    // Refilled to the burst, never beyond it.
    clock.Advance(milliseconds(60'000));
    for (int i = 0; i < 3; ++i) CHECK(limiter.Take("a").allowed);
    CHECK_FALSE(limiter.Take("a").allowed);
  }

  TEST_CASE("one client's flood leaves another's bucket alone") {
    fakes::FakeSteadyClock clock;
    RateLimiter limiter({1.0, 2, 100}, clock);
    for (int i = 0; i < 10; ++i) limiter.Take("flood");
    CHECK_FALSE(limiter.Take("flood").allowed);
    CHECK(limiter.Take("guest").allowed);
    CHECK(limiter.Take("guest").allowed);
  }

  TEST_CASE("0 per second is no limit") {
    fakes::FakeSteadyClock clock;
    RateLimiter limiter({0.0, 1, 100}, clock);
    CHECK_FALSE(limiter.enabled());
    for (int i = 0; i < 1000; ++i) CHECK(limiter.Take("a").allowed);
    CHECK(limiter.clients() == 0);
  }

  TEST_CASE("the map is bounded: refilled buckets go, and a flood of new clients shares one") {
    fakes::FakeSteadyClock clock;
    RateLimiter limiter({1.0, 1, 4}, clock);
    for (int i = 0; i < 4; ++i) CHECK(limiter.Take("c" + std::to_string(i)).allowed);
    CHECK(limiter.clients() == 4);
    // Every bucket is in use: new clients share the overflow bucket, one token.
    CHECK(limiter.Take("new-1").allowed);
    CHECK_FALSE(limiter.Take("new-2").allowed);
    CHECK(limiter.clients() == 5);  // the four, and the overflow
    // Once the old buckets refill they hold nothing: room for new clients again.
    clock.Advance(milliseconds(2'000));
    CHECK(limiter.Take("new-3").allowed);
    CHECK(limiter.Take("new-3").allowed == false);
    CHECK(limiter.clients() <= 5);
  }
}

}  // namespace
}  // namespace wanderluxe
