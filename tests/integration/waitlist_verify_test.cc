// `verify` and what `reconcile --fix` may repair, against the live Redis and
// FerretDB: I7, no unit left available while a booking that waited for one
// ended SOLD_OUT; waitlist entries a crash left behind (their booking
// finished, or never recorded) removed while live ones stay; and no hold or
// charge taken for a fix target on a ledger read that failed or on a booking
// a batch is still admitting.
#include <doctest/doctest.h>

#include <algorithm>

#include "adapters/mongo/mongo_ledger.h"
#include "adapters/mongo/mongo_store.h"
#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_inventory_store.h"
#include "roles/common/invariants.h"
#include "roles/reconcile/hold_repair.h"
#include "roles/reconcile/waitlist_sweep.h"
#include "support/find_invariant.h"
#include "support/live_invariant_checker.h"
#include "support/servers.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

struct VerifyFixture {
  VerifyFixture() {
    config = testing::LiveConfig({"mongo.database=" + testing::UniqueName("wlverify")});
    auto client = RedisClient::Connect(config.redis);
    REQUIRE_MESSAGE(client.ok(), client.status().ToString(), " -- start it with scripts/stack up");
    redis = std::move(*client);
    inventory = std::make_unique<RedisInventoryStore>(*redis, WaitlistPolicy{1000, 2});
    auto store = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString(), " -- start it with scripts/stack up");
    mongo = std::move(*store);
    ledger = std::make_unique<MongoLedger>(*mongo);
    property = testing::UniqueName("prop-wlv");
  }
  ~VerifyFixture() {
    if (ledger) (void)ledger->DropAll();
  }
  void Seed(int64_t units) { REQUIRE(inventory->Seed(property, units, false).ok()); }
  void Record(const std::string& id, BookingStatus status, int64_t waitlist_position) {
    BookingRecord r;
    r.request = {id, property, "user-1", {50000, "USD"}, "", ""};
    r.fingerprint = r.request.Fingerprint();
    r.status = status;
    r.payment_status = status == BookingStatus::kConfirmed ? PaymentStatus::kCaptured
                                                           : PaymentStatus::kNotAttempted;
    r.waitlist_position = waitlist_position;
    r.created_at = r.updated_at = NowIso8601();
    REQUIRE(ledger->Insert(r).ok());
  }
  // A waitlist entry as a crash would leave it, arrived `age_ms` ago.
  void PlantWaiter(const std::string& id, int64_t age_ms) {
    auto r = redis->Command({"ZADD", KeysFor(config.redis.property_tag, property).waitlist,
                             std::to_string(NowUnixMillis() - age_ms), id});
    REQUIRE(r.ok());
  }
  std::vector<InvariantResult> Verify(InvariantChecker& checker) {
    VerifyScope scope;
    scope.properties = {property};
    scope.accepted_ids = std::vector<std::string>{};
    scope.check_audit = false;
    return checker.Check(scope);
  }
  std::vector<std::string> Waiters() {
    auto w = inventory->Waiters(property);
    REQUIRE(w.ok());
    return *w;
  }

  Config config;
  std::unique_ptr<RedisClient> redis;
  std::unique_ptr<RedisInventoryStore> inventory;
  std::unique_ptr<MongoStore> mongo;
  std::unique_ptr<MongoLedger> ledger;
  std::string property;
};

using testing::FindInvariant;

std::string Details(const InvariantResult& r) {
  std::string out;
  for (const auto& d : r.details) out += d + "\n";
  return out;
}

TEST_SUITE("integration.waitlist") {
  TEST_CASE_FIXTURE(VerifyFixture, "the ledger names the bookings that waited and ended SOLD_OUT") {
    Record("a-waited", BookingStatus::kSoldOut, 2);
    Record("b-never-waited", BookingStatus::kSoldOut, 0);
    Record("c-waited-confirmed", BookingStatus::kConfirmed, 1);
    Record("d-waited", BookingStatus::kSoldOut, 7);
    Record("e-still-waiting", BookingStatus::kWaitlisted, 3);
    auto all = ledger->WaitedAndSoldOut(property, 0);
    REQUIRE(all.ok());
    CHECK(*all == std::vector<std::string>{"a-waited", "d-waited"});
    auto one = ledger->WaitedAndSoldOut(property, 1);
    REQUIRE(one.ok());
    CHECK(*one == std::vector<std::string>{"a-waited"});
    auto other = ledger->WaitedAndSoldOut(property + "-other", 0);
    REQUIRE(other.ok());
    CHECK(other->empty());
    // verify's one pass says the same of each booking.
    auto summaries = ledger->SummarizeProperties({property});
    REQUIRE(summaries.ok());
    std::vector<std::string> waited_and_sold_out;
    for (const BookingSummary& b : summaries->at(property)) {
      if (b.waited && b.status == BookingStatus::kSoldOut)
        waited_and_sold_out.push_back(b.booking_id);
    }
    std::sort(waited_and_sold_out.begin(), waited_and_sold_out.end());
    CHECK(waited_and_sold_out == std::vector<std::string>{"a-waited", "d-waited"});
    CHECK(summaries->at(property).size() == 5);
  }

  TEST_CASE_FIXTURE(VerifyFixture,
                    "I7 fails when a unit is available and a waiter ended SOLD_OUT") {
    Seed(2);
    REQUIRE(inventory->Reserve(property, "h-1").value() == ReserveOutcome::kReserved);
    Record("h-1", BookingStatus::kReserved, 0);
    Record("w-timed-out", BookingStatus::kSoldOut, 1);
    testing::LiveInvariantChecker checker(config, *redis, *mongo);
    const InvariantResult i7 = FindInvariant(Verify(checker), "I7");
    CHECK(i7.verdict == InvariantResult::Verdict::kFail);
    const std::string details = Details(i7);
    CHECK_MESSAGE(details.find("w-timed-out") != std::string::npos, details);
    CHECK_MESSAGE(details.find("1 available") != std::string::npos, details);
  }

  TEST_CASE_FIXTURE(VerifyFixture,
                    "I7 passes when nothing is available though a waiter was refused") {
    Seed(1);
    REQUIRE(inventory->Reserve(property, "h-1").value() == ReserveOutcome::kReserved);
    REQUIRE(inventory->Confirm(property, "h-1").ok());
    Record("h-1", BookingStatus::kConfirmed, 0);
    Record("w-turned-away", BookingStatus::kSoldOut, 1);
    testing::LiveInvariantChecker checker(config, *redis, *mongo);
    const InvariantResult i7 = FindInvariant(Verify(checker), "I7");
    CHECK_MESSAGE(i7.verdict == InvariantResult::Verdict::kPass, Details(i7));
  }

  TEST_CASE_FIXTURE(VerifyFixture,
                    "I7 passes when units are available but nobody who waited was refused") {
    Seed(3);
    Record("never-waited", BookingStatus::kSoldOut, 0);
    Record("waited-and-bought", BookingStatus::kConfirmed, 1);
    testing::LiveInvariantChecker checker(config, *redis, *mongo);
    const InvariantResult i7 = FindInvariant(Verify(checker), "I7");
    CHECK_MESSAGE(i7.verdict == InvariantResult::Verdict::kPass, Details(i7));
  }

  TEST_CASE_FIXTURE(VerifyFixture,
                    "reconcile --fix removes waitlist entries of finished or lost bookings only") {
    Seed(1);
    REQUIRE(inventory->Reserve(property, "h-1").value() == ReserveOutcome::kReserved);
    Record("h-1", BookingStatus::kReserved, 0);
    // Live: a WAITLISTED booking, and one admitted a moment ago (its record
    // not written yet).
    REQUIRE(inventory->Reserve(property, "w-live").value() == ReserveOutcome::kWaitlisted);
    Record("w-live", BookingStatus::kWaitlisted, 1);
    PlantWaiter("w-admitting", 0);
    // Left behind: a booking that ended, and one never recorded, long ago.
    PlantWaiter("w-finished", 0);
    Record("w-finished", BookingStatus::kSoldOut, 2);
    PlantWaiter("w-lost", config.processor.stuck_threshold_s * 1000 + 60'000);

    testing::LiveInvariantChecker checker(config, *redis, *mongo);
    const InvariantResult i7 = FindInvariant(Verify(checker), "I7");
    CHECK(i7.verdict == InvariantResult::Verdict::kFail);
    std::vector<std::string> stale;
    for (const auto& [p, id] : checker.stale_waiters) {
      CHECK(p == property);
      stale.push_back(id);
    }
    std::sort(stale.begin(), stale.end());
    CHECK(stale == std::vector<std::string>{"w-finished", "w-lost"});

    const WaitlistSweep sweep = RemoveStaleWaiters(*inventory, checker.stale_waiters);
    CHECK(sweep.removed == 2);
    CHECK(sweep.released == 0);
    CHECK(sweep.errors.empty());
    std::vector<std::string> left = Waiters();
    std::sort(left.begin(), left.end());
    CHECK(left == std::vector<std::string>{"w-admitting", "w-live"});

    testing::LiveInvariantChecker again(config, *redis, *mongo);
    const InvariantResult after = FindInvariant(Verify(again), "I7");
    CHECK_MESSAGE(after.verdict == InvariantResult::Verdict::kPass, Details(after));
    CHECK(again.stale_waiters.empty());
  }

  // A confirm a Redis failover lost: the ledger says CONFIRMED, Redis still
  // holds the unit. Released, it would be sold again to the next guest.
  TEST_CASE_FIXTURE(VerifyFixture, "a CONFIRMED booking's hold is made sold, never released") {
    Seed(2);
    REQUIRE(inventory->Reserve(property, "c-1").value() == ReserveOutcome::kReserved);
    REQUIRE(inventory->Reserve(property, "f-1").value() == ReserveOutcome::kReserved);
    Record("c-1", BookingStatus::kConfirmed, 0);
    Record("f-1", BookingStatus::kFailedPayment, 0);
    testing::LiveInvariantChecker checker(config, *redis, *mongo);
    CHECK(FindInvariant(Verify(checker), "I2").verdict == InvariantResult::Verdict::kFail);
    REQUIRE(checker.leaked_holds.size() == 2);

    const HoldRepair repair = RepairLeakedHolds(*inventory, checker.leaked_holds);
    CHECK(repair.errors.empty());
    CHECK(repair.sold == 1);
    CHECK(repair.released == 1);
    const InventoryLevels l = inventory->Levels(property).value();
    CHECK(l.sold == 1);
    CHECK(l.held == 0);
    CHECK(l.available == 1);
    testing::LiveInvariantChecker again(config, *redis, *mongo);
    const auto results = Verify(again);
    for (const char* id : {"I1", "I2"}) {
      const InvariantResult r = FindInvariant(results, id);
      CHECK_MESSAGE(r.verdict == InvariantResult::Verdict::kPass, id, ": ", Details(r));
    }
  }

  // Defect 1 of issue 29: --fix released every hold whose booking it could
  // not read.
  TEST_CASE_FIXTURE(VerifyFixture, "a ledger that cannot be read names no fix target") {
    Seed(2);
    REQUIRE(inventory->Reserve(property, "h-1").value() == ReserveOutcome::kReserved);
    Record("h-1", BookingStatus::kReserved, 0);
    Config dead = config;
    dead.mongo.uri = "mongodb://127.0.0.1:1/?serverSelectionTimeoutMS=300";
    dead.mongo.timeout_ms = 300;
    auto unreachable = MongoStore::Open(dead.mongo);
    REQUIRE(unreachable.ok());
    testing::LiveInvariantChecker checker(dead, *redis, **unreachable);
    const InvariantResult i2 = FindInvariant(Verify(checker), "I2");
    CHECK(i2.verdict == InvariantResult::Verdict::kFail);  // it cannot tell: not a pass
    CHECK_MESSAGE(checker.leaked_holds.empty(), "a live hold would be released: ", Details(i2));
  }

  TEST_CASE_FIXTURE(VerifyFixture, "a hold of a booking a batch is still admitting is not leaked") {
    Seed(2);
    // A batch reserves first and inserts the records after: between the two
    // the hold's booking is not in the ledger.
    REQUIRE(inventory->Reserve(property, "h-admitting").value() == ReserveOutcome::kReserved);
    REQUIRE(inventory->Reserve(property, "h-done").value() == ReserveOutcome::kReserved);
    Record("h-done", BookingStatus::kFailedPayment, 0);  // finished, its hold left behind
    testing::LiveInvariantChecker checker(config, *redis, *mongo);
    const InvariantResult i2 = FindInvariant(Verify(checker), "I2");
    CHECK(i2.verdict == InvariantResult::Verdict::kFail);  // h-done's hold is a leak
    std::vector<std::string> leaked;
    for (const LeakedHold& hold : checker.leaked_holds) leaked.push_back(hold.booking);
    CHECK_MESSAGE(leaked == std::vector<std::string>{"h-done"}, Details(i2));
  }

  TEST_CASE_FIXTURE(VerifyFixture, "a unit handed to a stale entry before its removal goes back") {
    Seed(1);
    REQUIRE(inventory->Reserve(property, "h-1").value() == ReserveOutcome::kReserved);
    PlantWaiter("w-finished", 0);
    Record("w-finished", BookingStatus::kSoldOut, 1);
    testing::LiveInvariantChecker checker(config, *redis, *mongo);
    Verify(checker);
    REQUIRE(checker.stale_waiters.size() == 1);
    // h-1's payment fails between the check and the sweep: the unit goes to
    // the stale entry.
    REQUIRE(inventory->Release(property, "h-1").value().handed_to == "w-finished");
    const WaitlistSweep sweep = RemoveStaleWaiters(*inventory, checker.stale_waiters);
    CHECK(sweep.removed == 0);
    CHECK(sweep.released == 1);
    const InventoryLevels l = inventory->Levels(property).value();
    CHECK(l.available == 1);
    CHECK(l.held == 0);
    CHECK(l.waiting == 0);
  }
}

}  // namespace
}  // namespace wanderluxe
