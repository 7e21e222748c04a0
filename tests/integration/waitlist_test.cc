// The waitlist's Redis scripts (docs/contract.md "Redis") against the live
// Redis: who joins and in what order, who is refused, the hand-over on
// release, the turn-away on the last sale, leaving by time, and a release's
// hand-over racing a waiter's leaving. Conserved throughout:
// available + held + sold == total; the waitlist holds no unit.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_inventory_store.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
constexpr milliseconds kLeaveNow{0};
constexpr milliseconds kLong{3'600'000};

struct WaitlistFixture {
  WaitlistFixture() {
    config = testing::LiveConfig();
    auto client = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(client.ok(), client.status().ToString(), " -- start it with scripts/stack up");
    redis = std::move(*client);
    property = testing::UniqueName("prop-wl");
    Open({/*max=*/1000, /*per_unit=*/2});
  }
  void Open(WaitlistPolicy policy) {
    inventory = std::make_unique<RedisInventoryStore>(*redis, policy);
  }
  void Seed(int64_t units) {
    auto seeded = inventory->Seed(property, units, /*force=*/false);
    REQUIRE(seeded.ok());
    REQUIRE(seeded->applied);
  }
  // Takes every available unit: holders h-0 .. h-<units-1>.
  void HoldAll(int64_t units) {
    for (int64_t i = 0; i < units; ++i) {
      REQUIRE(inventory->Reserve(property, Holder(i)).value() == ReserveOutcome::kReserved);
    }
  }
  static std::string Holder(int64_t i) { return "h-" + std::to_string(i); }
  static std::string Waiter(int64_t i) { return "w-" + std::to_string(i); }
  Reservation Reserve(const std::string& id) {
    auto r = inventory->Reserve(property, id);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return *r;
  }
  InventoryLevels Levels() {
    auto levels = inventory->Levels(property);
    REQUIRE_MESSAGE(levels.ok(), levels.status().ToString());
    return *levels;
  }
  // kConservation, and what the caller expects of the waitlist.
  void CheckConserved(int64_t total) {
    const InventoryLevels l = Levels();
    CHECK_MESSAGE(l.available + l.held + l.sold == total, "available ", l.available, " held ",
                  l.held, " sold ", l.sold, " total ", total);
    CHECK(l.total.value_or(-1) == total);
  }
  std::vector<std::string> Waiters() {
    auto w = inventory->Waiters(property);
    REQUIRE(w.ok());
    return *w;
  }
  WaitlistState Check(const std::string& id, milliseconds max_wait) {
    auto s = inventory->CheckWaitlist(property, id, max_wait);
    REQUIRE_MESSAGE(s.ok(), s.status().ToString());
    return *s;
  }

  Config config;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<RedisInventoryStore> inventory;
  std::string property;
};

TEST_SUITE("integration.waitlist") {
  TEST_CASE_FIXTURE(WaitlistFixture, "a reserve finding every unit held joins in arrival order") {
    Seed(2);
    HoldAll(2);
    for (int64_t i = 0; i < 3; ++i) {
      const Reservation r = Reserve(Waiter(i));
      CHECK(r.outcome == ReserveOutcome::kWaitlisted);
      CHECK(r.waitlist_position == i + 1);
    }
    CHECK(Waiters() == std::vector<std::string>{"w-0", "w-1", "w-2"});
    const InventoryLevels l = Levels();
    CHECK(l.available == 0);
    CHECK(l.held == 2);
    CHECK(l.waiting == 3);
    CheckConserved(2);
  }

  TEST_CASE_FIXTURE(WaitlistFixture, "the waitlist is bounded by per_unit x total") {
    Open({/*max=*/1000, /*per_unit=*/2});
    Seed(2);
    HoldAll(2);
    for (int64_t i = 0; i < 4; ++i) CHECK(Reserve(Waiter(i)) == ReserveOutcome::kWaitlisted);
    CHECK(Reserve(Waiter(4)) == ReserveOutcome::kSoldOut);
    CHECK(Levels().waiting == 4);
    CheckConserved(2);
  }

  TEST_CASE_FIXTURE(WaitlistFixture, "the waitlist is bounded by max") {
    Open({/*max=*/3, /*per_unit=*/10});
    Seed(2);
    HoldAll(2);
    for (int64_t i = 0; i < 3; ++i) CHECK(Reserve(Waiter(i)) == ReserveOutcome::kWaitlisted);
    CHECK(Reserve(Waiter(3)) == ReserveOutcome::kSoldOut);
    CHECK(Levels().waiting == 3);
  }

  TEST_CASE_FIXTURE(WaitlistFixture, "per_unit 0 turns the waitlist off") {
    Open({/*max=*/1000, /*per_unit=*/0});
    Seed(1);
    HoldAll(1);
    CHECK(Reserve(Waiter(0)) == ReserveOutcome::kSoldOut);
    CHECK(Levels().waiting == 0);
  }

  TEST_CASE_FIXTURE(WaitlistFixture, "nothing held (every unit sold): sold out, never waitlisted") {
    Seed(2);
    HoldAll(2);
    for (int64_t i = 0; i < 2; ++i) {
      auto confirmed = inventory->Confirm(property, Holder(i));
      REQUIRE(confirmed.ok());
      CHECK(confirmed->turned_away.empty());
    }
    CHECK(Reserve(Waiter(0)) == ReserveOutcome::kSoldOut);
    CHECK(Levels().waiting == 0);
    CheckConserved(2);
  }

  TEST_CASE_FIXTURE(WaitlistFixture,
                    "a redelivered reserve of a waiter answers its current position, adds none") {
    Seed(1);
    HoldAll(1);
    REQUIRE(Reserve(Waiter(0)) == ReserveOutcome::kWaitlisted);
    REQUIRE(Reserve(Waiter(1)) == ReserveOutcome::kWaitlisted);
    const Reservation again = Reserve(Waiter(1));
    CHECK(again.outcome == ReserveOutcome::kWaitlisted);
    CHECK(again.waitlist_position == 2);
    CHECK(Levels().waiting == 2);
    // The head leaves: the redelivered one is now first.
    REQUIRE(Check(Waiter(0), kLeaveNow) == WaitlistState::kLeft);
    const Reservation moved_up = Reserve(Waiter(1));
    CHECK(moved_up.outcome == ReserveOutcome::kWaitlisted);
    CHECK(moved_up.waitlist_position == 1);
    CHECK(Levels().waiting == 1);
    CheckConserved(1);
  }

  TEST_CASE_FIXTURE(WaitlistFixture, "release with nobody waiting gives the unit to available") {
    Seed(2);
    HoldAll(2);
    auto released = inventory->Release(property, Holder(0));
    REQUIRE(released.ok());
    CHECK(released->released);
    CHECK(released->handed_to.empty());
    CHECK(Levels().available == 1);
    CheckConserved(2);
    // A second release of the same booking has no hold to give back.
    auto again = inventory->Release(property, Holder(0));
    REQUIRE(again.ok());
    CHECK_FALSE(again->released);
    CHECK(Levels().available == 1);
    CheckConserved(2);
  }

  TEST_CASE_FIXTURE(WaitlistFixture, "release with waiters hands the unit to the head as a hold") {
    Seed(2);
    HoldAll(2);
    REQUIRE(Reserve(Waiter(0)) == ReserveOutcome::kWaitlisted);
    REQUIRE(Reserve(Waiter(1)) == ReserveOutcome::kWaitlisted);
    CheckConserved(2);
    auto released = inventory->Release(property, Holder(0));
    REQUIRE(released.ok());
    CHECK(released->released);
    CHECK(released->handed_to == "w-0");
    const InventoryLevels l = Levels();
    CHECK(l.available == 0);  // kNoUnitIdleWhileWaiting
    CHECK(l.held == 2);
    CHECK(l.waiting == 1);
    CHECK(Waiters() == std::vector<std::string>{"w-1"});
    CHECK(Check(Waiter(0), kLeaveNow) == WaitlistState::kHeld);
    CHECK(Check(Waiter(1), kLong) == WaitlistState::kWaiting);
    CheckConserved(2);
    // The new holder pays: its hold becomes a sale like any other.
    auto confirmed = inventory->Confirm(property, Waiter(0));
    REQUIRE(confirmed.ok());
    CHECK(confirmed->outcome == ConfirmOutcome::kConfirmed);
    CHECK(Check(Waiter(0), kLeaveNow) == WaitlistState::kSold);
    CheckConserved(2);
  }

  TEST_CASE_FIXTURE(WaitlistFixture,
                    "confirm of the last unit turns the rest of the waitlist away") {
    Seed(2);
    HoldAll(2);
    for (int64_t i = 0; i < 3; ++i) REQUIRE(Reserve(Waiter(i)) == ReserveOutcome::kWaitlisted);
    auto first = inventory->Confirm(property, Holder(0));
    REQUIRE(first.ok());
    CHECK(first->turned_away.empty());  // h-1 still holds: its payment may fail
    CHECK(Levels().waiting == 3);
    auto last = inventory->Confirm(property, Holder(1));
    REQUIRE(last.ok());
    CHECK(last->outcome == ConfirmOutcome::kConfirmed);
    CHECK(last->turned_away == std::vector<std::string>{"w-0", "w-1", "w-2"});
    CHECK(Levels().waiting == 0);
    CHECK(Waiters().empty());
    for (int64_t i = 0; i < 3; ++i) CHECK(Check(Waiter(i), kLeaveNow) == WaitlistState::kGone);
    // Redelivered, the last confirm changes nothing and turns nobody away again.
    auto again = inventory->Confirm(property, Holder(1));
    REQUIRE(again.ok());
    CHECK(again->outcome == ConfirmOutcome::kAlreadySold);
    CHECK(again->turned_away.empty());
    CheckConserved(2);
  }

  // kNoUnitIdleWhileWaiting holds for new stock too: units `seed` adds while
  // guests wait go to them, in order, as holds (the reconciler goes on with
  // each, as after a release whose driver died); only the rest is available.
  TEST_CASE_FIXTURE(WaitlistFixture, "seed raising the stock hands new units to the waitlist") {
    Seed(2);
    HoldAll(2);
    for (int i = 0; i < 3; ++i) REQUIRE(Reserve(Waiter(i)) == ReserveOutcome::kWaitlisted);
    Seed(4);  // two new units, three waiting
    InventoryLevels l = Levels();
    CHECK(l.available == 0);
    CHECK(l.held == 4);
    CHECK(Waiters() == std::vector<std::string>{"w-2"});
    CHECK(Check(Waiter(0), kLong) == WaitlistState::kHeld);
    CHECK(Check(Waiter(1), kLong) == WaitlistState::kHeld);
    CheckConserved(4);
    Seed(6);  // two more, one waiting: the rest is available
    l = Levels();
    CHECK(l.available == 1);
    CHECK(l.held == 5);
    CHECK(l.waiting == 0);
    CheckConserved(6);
  }

  TEST_CASE_FIXTURE(WaitlistFixture, "a waiter past max_wait leaves, and is gone after") {
    Seed(1);
    HoldAll(1);
    REQUIRE(Reserve(Waiter(0)) == ReserveOutcome::kWaitlisted);
    CHECK(Check(Waiter(0), kLong) == WaitlistState::kWaiting);
    CHECK(Check(Waiter(0), kLeaveNow) == WaitlistState::kLeft);
    CHECK(Check(Waiter(0), kLeaveNow) == WaitlistState::kGone);
    CHECK(Levels().waiting == 0);
    // Nobody waits now: a release gives the unit to available.
    auto released = inventory->Release(property, Holder(0));
    REQUIRE(released.ok());
    CHECK(released->handed_to.empty());
    CHECK(Levels().available == 1);
    CheckConserved(1);
  }

  TEST_CASE_FIXTURE(WaitlistFixture,
                    "max_wait 0 removes every waiter, however many joined at once") {
    // Waiters joining in one batch arrive within the same millisecond; each
    // must still be able to leave now (the saga's park and lost-insert paths
    // rely on it).
    constexpr int64_t kJoining = 500;
    Open({/*max=*/kJoining, /*per_unit=*/kJoining});
    Seed(1);
    HoldAll(1);
    std::vector<std::string> ids;
    for (int64_t i = 0; i < kJoining; ++i) ids.push_back(Waiter(i));
    auto joined = inventory->ReserveBatch(property, ids);
    REQUIRE(joined.ok());
    for (const Reservation& r : *joined) REQUIRE(r == ReserveOutcome::kWaitlisted);
    std::vector<std::string> stayed;
    for (const auto& id : ids) {
      if (Check(id, kLeaveNow) != WaitlistState::kLeft) stayed.push_back(id);
    }
    CHECK_MESSAGE(stayed.empty(), stayed.size(), " of ", kJoining, " did not leave, first ",
                  stayed.empty() ? "" : stayed.front());
    CHECK(Levels().waiting == 0);
  }

  TEST_CASE_FIXTURE(WaitlistFixture, "a batch decides its waitlist joins in order, in one call") {
    Open({/*max=*/1000, /*per_unit=*/2});
    Seed(2);
    // b-0, b-1 take the units; b-2 .. b-5 wait (2 x 2 units); b-6 is refused;
    // b-3 again (a redelivery within the batch) keeps its place.
    const std::vector<std::string> ids = {"b-0", "b-1", "b-2", "b-3", "b-4", "b-5", "b-6", "b-3"};
    auto answers = inventory->ReserveBatch(property, ids);
    REQUIRE(answers.ok());
    REQUIRE(answers->size() == ids.size());
    const std::vector<std::pair<ReserveOutcome, int64_t>> expected = {
        {ReserveOutcome::kReserved, 0},   {ReserveOutcome::kReserved, 0},
        {ReserveOutcome::kWaitlisted, 1}, {ReserveOutcome::kWaitlisted, 2},
        {ReserveOutcome::kWaitlisted, 3}, {ReserveOutcome::kWaitlisted, 4},
        {ReserveOutcome::kSoldOut, 0},    {ReserveOutcome::kWaitlisted, 2}};
    for (size_t i = 0; i < ids.size(); ++i) {
      CHECK_MESSAGE((*answers)[i].outcome == expected[i].first, "answer ", i);
      CHECK_MESSAGE((*answers)[i].waitlist_position == expected[i].second, "answer ", i);
    }
    CHECK(Waiters() == std::vector<std::string>{"b-2", "b-3", "b-4", "b-5"});
    CheckConserved(2);
  }

  // Two actors on the same bookings: releases handing units over while every
  // waiter leaves by time. Both are one script each, so each waiter ends
  // exactly one of (handed a hold, left).
  TEST_CASE_FIXTURE(WaitlistFixture,
                    "two actors: hand-overs racing leaves end each waiter exactly once") {
    constexpr int64_t kUnits = 40;
    constexpr int64_t kWaiting = 80;
    constexpr int kThreadsPerActor = 4;
    Seed(kUnits);
    HoldAll(kUnits);
    for (int64_t i = 0; i < kWaiting; ++i) {
      REQUIRE(Reserve(Waiter(i)) == ReserveOutcome::kWaitlisted);
    }
    std::mutex mu;
    std::multiset<std::string> handed, left, held_seen;
    std::atomic<int64_t> errors{0}, next_release{0}, next_check{0};
    auto releaser = [&] {
      for (int64_t i; (i = next_release.fetch_add(1)) < kUnits;) {
        auto r = inventory->Release(property, Holder(i));
        if (!r.ok() || !r->released) {
          ++errors;
          continue;
        }
        std::lock_guard lock(mu);
        if (!r->handed_to.empty()) handed.insert(r->handed_to);
      }
    };
    auto leaver = [&] {
      for (int64_t i; (i = next_check.fetch_add(1)) < kWaiting;) {
        auto s = inventory->CheckWaitlist(property, Waiter(i), kLeaveNow);
        if (!s.ok()) {
          ++errors;
          continue;
        }
        std::lock_guard lock(mu);
        if (*s == WaitlistState::kLeft) left.insert(Waiter(i));
        if (*s == WaitlistState::kHeld) held_seen.insert(Waiter(i));
      }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreadsPerActor; ++t) {
      threads.emplace_back(releaser);
      threads.emplace_back(leaver);
    }
    for (auto& t : threads) t.join();
    CHECK(errors.load() == 0);
    for (int64_t i = 0; i < kWaiting; ++i) {
      const std::string id = Waiter(i);
      const size_t ends = handed.count(id) + left.count(id);
      CHECK_MESSAGE(ends == 1, id, " handed ", handed.count(id), " left ", left.count(id));
      // A waiter the leaver found holding was handed its unit by a release.
      if (held_seen.count(id)) CHECK_MESSAGE(handed.count(id) == 1, id);
    }
    CHECK(Levels().waiting == 0);
    CHECK(Waiters().empty());
    // Every handed unit is a hold in the waiter's name; the rest went back.
    const InventoryLevels l = Levels();
    CHECK(l.held == static_cast<int64_t>(handed.size()));
    CHECK(l.available == kUnits - static_cast<int64_t>(handed.size()));
    for (const auto& id : handed) CHECK(Check(id, kLeaveNow) == WaitlistState::kHeld);
    CheckConserved(kUnits);
  }
}

}  // namespace
}  // namespace wanderluxe
