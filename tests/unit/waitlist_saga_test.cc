// The saga's waitlist (issue 15) over fakes: who waits, who is handed a unit,
// who is turned away, and a hand-over that outlives the driver that made it.
#include <doctest/doctest.h>

#include <algorithm>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "fakes/admit_batch.h"
#include "fakes/fake_ports.h"
#include "fakes/fast_saga_options.h"
#include "wanderluxe/batch_admission.h"
#include "wanderluxe/booking_saga.h"
#include "wanderluxe/ids.h"
#include "wanderluxe/reconciler.h"

namespace wanderluxe {
namespace {

using fakes::Faults;

constexpr WaitlistPolicy kRoomy{100, 10};

struct WaitlistFixture {
  Faults faults;
  fakes::FakeInventory inventory{faults, kRoomy};
  fakes::FakeLedger ledger{faults};
  fakes::FakeBank bank{faults};
  fakes::FakeProducer producer{faults};
  MetricsRegistry metrics;
  std::atomic<bool> stop{false};
  BookingSaga saga{Options(), inventory, ledger, bank, producer, metrics};

  static SagaOptions Options() { return fakes::FastSagaOptions(); }
  explicit WaitlistFixture(int64_t units) { inventory.Set("p", units); }

  static BookingEvent Event(const std::string& id) {
    BookingEvent e;
    e.event_id = NewUuid();
    e.request = {id, "p", "", {1000, "USD"}, "", ""};
    return e;
  }
  SagaResult Run(const std::string& id) {
    auto r = saga.DriveEvent(Event(id), stop);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return *r;
  }
  // A booking holding a unit whose bank has just declined: the next driver
  // to look releases its hold.
  void DeclinedHolder(const std::string& id) {
    REQUIRE(inventory.Reserve("p", id).value() == ReserveOutcome::kReserved);
    BookingRecord r = saga.AdmittedRecord(Event(id), {ReserveOutcome::kReserved}, "");
    r.payment_status = PaymentStatus::kDeclined;
    r.lease = {};
    REQUIRE(ledger.Insert(r).ok());
  }
  // `waiters` bookings w<first>.. waiting behind "seller", who holds the one
  // unit and is recorded, ready to be driven to its sale.
  void WaitersBehindSeller(int waiters, int first = 0) {
    Seller();
    for (int i = first; i < first + waiters; ++i) Run("w" + std::to_string(i));
  }
  // "seller" holding the one unit, recorded, ready to be driven to its sale.
  void Seller() {
    REQUIRE(inventory.Reserve("p", "seller").value() == ReserveOutcome::kReserved);
    BookingRecord seller = saga.AdmittedRecord(Event("seller"), {ReserveOutcome::kReserved}, "");
    seller.lease = {};
    REQUIRE(ledger.Insert(seller).ok());
  }
  // Drives the seller to its sale; the port calls it made, in order.
  std::vector<std::string> SellerCalls() {
    const size_t logged = faults.log().size();
    REQUIRE(saga.DriveRecord(ledger.at("seller"), stop).ok());
    const std::vector<std::string> log = faults.log();
    return {log.begin() + static_cast<std::ptrdiff_t>(logged), log.end()};
  }
  // w0 .. w<waiters - 1> ended SOLD_OUT, their debts paid, each told once.
  void ExpectSoldOutToldOnce(int waiters) {
    for (int i = 0; i < waiters; ++i) {
      const std::string id = "w" + std::to_string(i);
      CAPTURE(id);
      CHECK(ledger.at(id).status == BookingStatus::kSoldOut);
      CHECK_FALSE(ledger.at(id).outcome_owed);
      CHECK(Outcomes(id) == std::vector<std::string>{"WAITLISTED", "SOLD_OUT"});
    }
  }
  void MakeStale(const std::string& id) { ledger.at(id).updated_at = "2000-01-01T00:00:00.000Z"; }
  // The statuses of `id`'s outcome events, in the order published.
  std::vector<std::string> Outcomes(const std::string& id) {
    std::vector<std::string> statuses;
    for (const auto& e : producer.Published()) {
      if (e.key != id) continue;
      const auto at = e.value.find("\"status\":\"");
      REQUIRE(at != std::string::npos);
      const auto from = at + 10;
      statuses.push_back(e.value.substr(from, e.value.find('"', from) - from));
    }
    return statuses;
  }
  InventoryLevels Levels() { return *inventory.Levels("p"); }
};

TEST_SUITE("unit.waitlist") {
  TEST_CASE("every unit held: the booking waits, in arrival order, announced with its place") {
    WaitlistFixture f(1);
    REQUIRE(f.inventory.Reserve("p", "holder").value() == ReserveOutcome::kReserved);
    const SagaResult first = f.Run("w1");
    CHECK(first.verdict == SagaVerdict::kWaiting);
    CHECK(first.status == BookingStatus::kWaitlisted);
    CHECK(f.Run("w2").verdict == SagaVerdict::kWaiting);
    CHECK(f.ledger.at("w1").waitlist_position == 1);
    CHECK(f.ledger.at("w2").waitlist_position == 2);
    CHECK(f.ledger.at("w2").payment_status == PaymentStatus::kNotAttempted);
    CHECK(f.Outcomes("w2") == std::vector<std::string>{"WAITLISTED"});
    CHECK(f.producer.Published().back().value.find("\"waitlistPosition\":2") != std::string::npos);
    CHECK(f.inventory.Waiters("p") == std::vector<std::string>{"w1", "w2"});
    CHECK(f.bank.charge_calls == 0);
  }

  TEST_CASE(
      "a declined holder's unit goes to the head, who pays; the last sale turns the rest away") {
    WaitlistFixture f(1);
    f.DeclinedHolder("holder");
    f.Run("w1");
    f.Run("w2");
    BookingRecord holder = f.ledger.at("holder");
    auto resumed = f.saga.DriveRecord(holder, f.stop);
    REQUIRE_MESSAGE(resumed.ok(), resumed.status().ToString());
    CHECK(resumed->status == BookingStatus::kFailedPayment);
    CHECK(f.ledger.at("w1").status == BookingStatus::kConfirmed);
    CHECK(f.Outcomes("w1") == std::vector<std::string>{"WAITLISTED", "CONFIRMED"});
    // w1 bought the last unit: nobody can give one back, w2 is told at once.
    CHECK(f.ledger.at("w2").status == BookingStatus::kSoldOut);
    CHECK(f.ledger.at("w2").audit_log.back().detail.find("turned away") != std::string::npos);
    const InventoryLevels levels = f.Levels();
    CHECK(levels.available == 0);  // kNoUnitIdleWhileWaiting: it never went back to available
    CHECK(levels.held == 0);
    CHECK(levels.sold == 1);
    CHECK(levels.waiting == 0);
    CHECK(f.bank.Captured() == 1);
  }

  TEST_CASE(
      "two actors and more: a turned-away waitlist not read at once, lent drivers end it beside "
      "the seller") {
    WaitlistFixture f(1);
    constexpr int kWaiters = 10;  // all kRoomy lets one unit have
    f.WaitersBehindSeller(kWaiters);
    f.faults.FailNext("get-recorded", 1);  // TurnAway's read: each waiter to its own drive
    // The processor's lender: threads that share the queue with the seller.
    std::vector<size_t> asked;
    std::vector<std::thread> lent;
    f.saga.LendDrivers([&](size_t waiting) {
      asked.push_back(waiting);
      for (int t = 0; t < 4; ++t) lent.emplace_back([&] { f.saga.DriveHandedOver(f.stop); });
    });
    auto sold = f.saga.DriveRecord(f.ledger.at("seller"), f.stop);
    for (auto& t : lent) t.join();
    REQUIRE_MESSAGE(sold.ok(), sold.status().ToString());
    CHECK(sold->status == BookingStatus::kConfirmed);
    CHECK(asked == std::vector<size_t>{kWaiters});  // one call, for the whole list
    for (int i = 0; i < kWaiters; ++i) {
      const std::string id = "w" + std::to_string(i);
      CAPTURE(id);
      CHECK(f.ledger.at(id).status == BookingStatus::kSoldOut);
      // Each told once: no two drivers ended the same waiter twice.
      CHECK(f.Outcomes(id) == std::vector<std::string>{"WAITLISTED", "SOLD_OUT"});
    }
    CHECK(f.Levels().waiting == 0);
    f.saga.LendDrivers({});
  }

  TEST_CASE(
      "a turned-away waiter ends in one compare-and-set; its owed outcome, once out, is "
      "settled without a new version") {
    WaitlistFixture f(1);
    f.WaitersBehindSeller(1, 1);
    REQUIRE(f.ledger.at("w1").version == 1);
    REQUIRE(f.saga.DriveRecord(f.ledger.at("seller"), f.stop).ok());
    const BookingRecord w1 = f.ledger.at("w1");
    CHECK(w1.status == BookingStatus::kSoldOut);
    // SOLD_OUT and the debt of its outcome in one decision (version 2); the
    // debt paid by marking the outcome published, which decides nothing.
    CHECK(w1.version == 2);
    CHECK_FALSE(w1.outcome_owed);
    CHECK(f.Outcomes("w1") == std::vector<std::string>{"WAITLISTED", "SOLD_OUT"});
  }

  TEST_CASE(
      "a turned-away waitlist ends in one TransitionMany and one MarkOutcomesPublished, no "
      "write per waiter") {
    WaitlistFixture f(1);
    constexpr int kWaiters = 10;
    f.WaitersBehindSeller(kWaiters);
    const std::vector<std::string> calls = f.SellerCalls();
    CHECK(std::count(calls.begin(), calls.end(), "transition-many") == 1);
    CHECK(std::count(calls.begin(), calls.end(), "mark-outcomes-published") == 1);
    // The seller's own: DriveRecord, the reconciler's call, owes its outcome too.
    CHECK(std::count(calls.begin(), calls.end(), "mark-outcome-published") == 1);
    for (int i = 0; i < kWaiters; ++i) {
      const std::string id = "w" + std::to_string(i);
      CAPTURE(id);
      const BookingRecord w = f.ledger.at(id);
      CHECK(w.status == BookingStatus::kSoldOut);
      CHECK(w.version == 2);  // SOLD_OUT and its debt in one decision
      CHECK_FALSE(w.outcome_owed);
      CHECK(w.audit_log.back().detail.find("turned away") != std::string::npos);
      CHECK(f.Outcomes(id) == std::vector<std::string>{"WAITLISTED", "SOLD_OUT"});
    }
    // The sale's own outcome first: ending the waitlist does not hold it up.
    const std::vector<OutgoingEvent> published = f.producer.Published();
    const auto first_turned_away =
        std::find_if(published.begin(), published.end(), [](const OutgoingEvent& e) {
          return e.value.find("\"status\":\"SOLD_OUT\"") != std::string::npos;
        });
    const auto sale = std::find_if(published.begin(), published.end(),
                                   [](const OutgoingEvent& e) { return e.key == "seller"; });
    REQUIRE(sale != published.end());
    CHECK(sale < first_turned_away);
  }

  TEST_CASE(
      "two actors: a waiter's own drive ends it between the batch's read and its "
      "compare-and-set; told once") {
    WaitlistFixture f(1);
    f.WaitersBehindSeller(4);
    // Redis has turned the waitlist away; w2's own drive (a redelivered
    // event's) sees it and ends w2 first.
    f.faults.BeforeNext({"transition-many"}, [&] {
      auto own = f.saga.DriveRecord(f.ledger.at("w2"), f.stop);
      REQUIRE_MESSAGE(own.ok(), own.status().ToString());
      CHECK(own->status == BookingStatus::kSoldOut);
    });
    REQUIRE(f.saga.DriveRecord(f.ledger.at("seller"), f.stop).ok());
    f.ExpectSoldOutToldOnce(4);
    CHECK(f.ledger.at("w2").version == 2);  // one end, the other driver's
  }

  TEST_CASE(
      "the batch's compare-and-sets unanswered (half won): the won end owing, the reconciler "
      "publishes them; the rest end by their own drives") {
    WaitlistFixture f(1);
    f.WaitersBehindSeller(4);
    f.faults.FailNext("transition-many", 1);  // FakeLedger: the first half in, every answer lost
    REQUIRE(f.saga.DriveRecord(f.ledger.at("seller"), f.stop).ok());
    int owing = 0;
    for (int i = 0; i < 4; ++i) {
      const std::string id = "w" + std::to_string(i);
      CAPTURE(id);
      const BookingRecord w = f.ledger.at(id);
      REQUIRE(w.status == BookingStatus::kSoldOut);
      if (w.outcome_owed) {
        ++owing;  // kOutcomeOwed: won by the batch, its answer lost
        CHECK(f.Outcomes(id) == std::vector<std::string>{"WAITLISTED"});
        f.MakeStale(id);
      } else {
        CHECK(f.Outcomes(id) == std::vector<std::string>{"WAITLISTED", "SOLD_OUT"});
      }
    }
    CHECK(owing == 2);
    Reconciler reconciler(f.ledger, f.saga, std::chrono::seconds(0));
    REQUIRE(reconciler.RunOnce(f.stop).ok());
    f.ExpectSoldOutToldOnce(4);
  }

  TEST_CASE("a turned-away outcome refused by the producer is published again, once") {
    WaitlistFixture f(1);
    f.WaitersBehindSeller(3);
    f.faults.BeforeNext({"transition-many"}, [&] { f.faults.FailNext("publish", 1); });
    REQUIRE(f.saga.DriveRecord(f.ledger.at("seller"), f.stop).ok());
    f.ExpectSoldOutToldOnce(3);
  }

  TEST_CASE("a turned-away waitlist is read in one GetRecorded, not a Get per waiter") {
    WaitlistFixture f(1);
    constexpr int kWaiters = 10;
    f.WaitersBehindSeller(kWaiters);
    const std::vector<std::string> calls = f.SellerCalls();
    CHECK(std::count(calls.begin(), calls.end(), "get-recorded") == 1);
    CHECK(std::count(calls.begin(), calls.end(), "get") == 1);  // the seller's own reload
    for (int i = 0; i < kWaiters; ++i) {
      CHECK(f.ledger.at("w" + std::to_string(i)).status == BookingStatus::kSoldOut);
    }
  }

  TEST_CASE("the waitlist's read failing: each waiter is read by its own drive") {
    WaitlistFixture f(1);
    f.WaitersBehindSeller(2, 1);
    f.faults.FailNext("get-recorded", 1);
    REQUIRE(f.saga.DriveRecord(f.ledger.at("seller"), f.stop).ok());
    CHECK(f.ledger.at("w1").status == BookingStatus::kSoldOut);
    CHECK(f.ledger.at("w2").status == BookingStatus::kSoldOut);
    CHECK(f.Outcomes("w2") == std::vector<std::string>{"WAITLISTED", "SOLD_OUT"});
  }

  TEST_CASE(
      "two actors: a turned-away waiter's driver dies before its outcome; the reconciler "
      "publishes it, under the same version") {
    WaitlistFixture f(1);
    f.WaitersBehindSeller(1, 1);
    // The seller's outcome is published; the next publish is w1's SOLD_OUT:
    // its driver dies there (the stop), after the decision.
    std::atomic<bool> dying{false};
    int publishes = 0;
    std::function<void()> die_at_second_publish;
    die_at_second_publish = [&] {
      if (++publishes == 2) {
        dying = true;
        f.faults.FailNext("publish", 1);
      } else {
        f.faults.BeforeNext({"publish"}, die_at_second_publish);
      }
    };
    f.faults.BeforeNext({"publish"}, die_at_second_publish);
    auto sold = f.saga.DriveRecord(f.ledger.at("seller"), dying);
    (void)sold;
    REQUIRE(f.ledger.at("w1").status == BookingStatus::kSoldOut);
    CHECK(f.ledger.at("w1").outcome_owed);  // kOutcomeOwed: recorded with the decision
    CHECK(f.Outcomes("w1") == std::vector<std::string>{"WAITLISTED"});
    const int64_t decided_at = f.ledger.at("w1").version;
    f.MakeStale("w1");
    Reconciler reconciler(f.ledger, f.saga, std::chrono::seconds(0));
    REQUIRE(reconciler.RunOnce(f.stop).ok());
    CHECK(f.Outcomes("w1") == std::vector<std::string>{"WAITLISTED", "SOLD_OUT"});
    CHECK_FALSE(f.ledger.at("w1").outcome_owed);
    CHECK(f.ledger.at("w1").version == decided_at);
  }

  TEST_CASE("a waiter whose payment fails hands its unit on down the line, without recursion") {
    constexpr int kWaiters = 50;
    WaitlistFixture f(1);
    f.inventory.SetWaitlist({kWaiters, kWaiters});
    f.DeclinedHolder("holder");
    for (int i = 0; i < kWaiters; ++i) f.Run("w" + std::to_string(i));
    f.bank.fallback = ChargeOutcome::kDeclined;  // every waiter but the last is declined
    for (int i = 0; i + 1 < kWaiters; ++i) f.bank.script.push_back(ChargeOutcome::kDeclined);
    f.bank.script.push_back(ChargeOutcome::kCaptured);
    BookingRecord holder = f.ledger.at("holder");
    REQUIRE(f.saga.DriveRecord(holder, f.stop).ok());
    for (int i = 0; i + 1 < kWaiters; ++i) {
      CAPTURE(i);
      CHECK(f.ledger.at("w" + std::to_string(i)).status == BookingStatus::kFailedPayment);
    }
    CHECK(f.ledger.at("w" + std::to_string(kWaiters - 1)).status == BookingStatus::kConfirmed);
    CHECK(f.Levels().sold == 1);
    CHECK(f.Levels().available == 0);
  }

  TEST_CASE(
      "a unit handed to a stale entry of a booking that already ended goes on down the line") {
    WaitlistFixture f(1);
    f.DeclinedHolder("holder");
    f.Run("ended");
    f.Run("w2");
    // A crash left `ended` on the waitlist although the ledger ended it.
    f.ledger.at("ended").status = BookingStatus::kSoldOut;
    BookingRecord holder = f.ledger.at("holder");
    REQUIRE(f.saga.DriveRecord(holder, f.stop).ok());
    CHECK_FALSE(f.inventory.Holds("p", "ended"));  // kNoLeak
    CHECK(f.ledger.at("w2").status == BookingStatus::kConfirmed);
    CHECK(f.Levels().sold == 1);
    CHECK(f.Levels().held == 0);
  }

  TEST_CASE(
      "two actors: a reused bookingId's late reserve takes a restocked unit for a turned-away "
      "waiter; the waiter takes it, no SOLD_OUT keeps it held") {
    WaitlistFixture f(1);
    f.Seller();
    // An event reusing w0's bookingId (another amount) finds no record of
    // w0 and is slow to reserve. Meanwhile w0 and w1 join the waitlist, and
    // the sale confirms in another thread, turning them away in Redis; a
    // unit is restocked before the sale reads its waiters.
    std::promise<void> confirmed;
    std::promise<void> reuse_done;
    std::thread sale;
    f.faults.BeforeNext({"reserve"}, [&] {
      f.Run("w0");
      f.Run("w1");
      f.faults.BeforeNext({"get-recorded"}, [&] {
        f.inventory.Set("p", 1);
        confirmed.set_value();
        reuse_done.get_future().wait();
      });
      sale = std::thread([&] { CHECK(f.saga.DriveRecord(f.ledger.at("seller"), f.stop).ok()); });
      confirmed.get_future().wait();
    });
    BookingEvent reuse = WaitlistFixture::Event("w0");
    reuse.request.amount = {2000, "USD"};
    auto r = f.saga.DriveEvent(reuse, f.stop);
    reuse_done.set_value();
    REQUIRE(sale.joinable());
    sale.join();
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->verdict == SagaVerdict::kRejected);
    // kNoLeak: w0 holds the unit only as a booking still going on.
    REQUIRE(f.inventory.Holds("p", "w0"));
    REQUIRE(f.ledger.at("w0").status == BookingStatus::kReserved);
    f.MakeStale("w0");
    Reconciler reconciler(f.ledger, f.saga, std::chrono::seconds(0));
    REQUIRE(reconciler.RunOnce(f.stop).ok());
    CHECK(f.ledger.at("w0").status == BookingStatus::kConfirmed);
    CHECK(f.ledger.at("w1").status == BookingStatus::kSoldOut);
    CHECK(f.Levels().sold == 2);
    CHECK(f.Levels().held == 0);
    CHECK(f.Levels().available == 0);
  }

  TEST_CASE(
      "two actors: a drive from a stale WAITLISTED record finds a unit held for a waiter "
      "another driver ended; it gives the unit back") {
    WaitlistFixture f(1);
    f.WaitersBehindSeller(1);
    // What an admission batch handed its worker, before the sale's end.
    const BookingRecord admitted = f.ledger.at("w0");
    REQUIRE(f.saga.DriveRecord(f.ledger.at("seller"), f.stop).ok());
    REQUIRE(f.ledger.at("w0").status == BookingStatus::kSoldOut);
    // A late reserve in w0's name (a reused bookingId's) takes a restocked
    // unit; the worker's drive checks Redis before that reserve's own settle.
    f.inventory.Set("p", 1);
    REQUIRE(f.inventory.Reserve("p", "w0").value() == ReserveOutcome::kReserved);
    auto r = f.saga.DriveAdmitted(admitted, f.saga.NewDriver(), "", f.stop);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    CHECK(r->status == BookingStatus::kSoldOut);
    CHECK_FALSE(f.inventory.Holds("p", "w0"));  // kNoLeak
    CHECK(f.Levels().available == 1);
  }

  TEST_CASE("a full waitlist, or nothing held, answers SOLD_OUT") {
    WaitlistFixture f(1);
    f.inventory.SetWaitlist({1, 10});
    REQUIRE(f.inventory.Reserve("p", "holder").value() == ReserveOutcome::kReserved);
    CHECK(f.Run("w1").status == BookingStatus::kWaitlisted);
    CHECK(f.Run("full").status == BookingStatus::kSoldOut);
    REQUIRE(f.inventory.Confirm("p", "holder").ok());  // sold == total: turns w1 away
    CHECK(f.Run("late").status == BookingStatus::kSoldOut);
    CHECK(f.Levels().waiting == 0);
  }

  TEST_CASE("two actors: the driver that handed a unit over dies; the reconciler goes on") {
    WaitlistFixture f(1);
    REQUIRE(f.inventory.Reserve("p", "holder").value() == ReserveOutcome::kReserved);
    f.Run("w1");
    // The holder's driver released (the script handed the unit to w1) and
    // died before driving w1: the ledger still says WAITLISTED.
    auto released = f.inventory.Release("p", "holder");
    REQUIRE(released.ok());
    CHECK(released->handed_to == "w1");
    CHECK(f.ledger.at("w1").status == BookingStatus::kWaitlisted);
    f.MakeStale("w1");
    Reconciler reconciler(f.ledger, f.saga, std::chrono::seconds(0));
    auto report = reconciler.RunOnce(f.stop);
    REQUIRE(report.ok());
    CHECK(report->finished[BookingStatus::kConfirmed] == 1);
    CHECK(f.ledger.at("w1").status == BookingStatus::kConfirmed);
    CHECK(f.bank.Captured() == 1);
  }

  TEST_CASE(
      "a waiter past saga.waitlist_timeout_ms leaves and ends SOLD_OUT; a unit then goes back") {
    WaitlistFixture f(1);
    REQUIRE(f.inventory.Reserve("p", "holder").value() == ReserveOutcome::kReserved);
    f.Run("w1");
    Reconciler reconciler(f.ledger, f.saga, std::chrono::seconds(0));
    f.MakeStale("w1");
    REQUIRE(reconciler.RunOnce(f.stop).ok());
    CHECK(f.ledger.at("w1").status == BookingStatus::kWaitlisted);  // not waited long enough
    f.inventory.Age("p");
    f.MakeStale("w1");
    REQUIRE(reconciler.RunOnce(f.stop).ok());
    CHECK(f.ledger.at("w1").status == BookingStatus::kSoldOut);
    CHECK(f.ledger.at("w1").audit_log.back().detail.find("waited") != std::string::npos);
    auto released = f.inventory.Release("p", "holder");
    REQUIRE(released.ok());
    CHECK(released->handed_to.empty());
    CHECK(f.Levels().available == 1);
  }

  TEST_CASE("parking a waiting booking takes it off the waitlist") {
    WaitlistFixture f(1);
    REQUIRE(f.inventory.Reserve("p", "holder").value() == ReserveOutcome::kReserved);
    f.Run("w1");
    REQUIRE(f.saga.Park(WaitlistFixture::Event("w1"), "test", f.stop).ok());
    CHECK(f.ledger.at("w1").status == BookingStatus::kParked);
    CHECK(f.inventory.Waiters("p").empty());
  }

  // Defect 5 of issue 29: Park read the booking WAITLISTED, a unit was handed
  // to it and its driver moved it on, and Park gave that unit back while the
  // driver charged: charged, refunded, and the unit went to the next waiter.
  TEST_CASE("two actors: parking a waiter races the driver a unit was handed to") {
    WaitlistFixture f(1);
    f.DeclinedHolder("holder");
    f.Run("w1");
    REQUIRE(f.ledger.at("w1").status == BookingStatus::kWaitlisted);
    // Park has read w1 WAITLISTED; before its next step (taking w1 off the
    // waitlist, or recording PARKED), the holder's unit is handed to w1 and
    // w1's driver records the hand-over.
    f.faults.BeforeNext({"check-waitlist", "transition", "release"}, [&] {
      REQUIRE(f.inventory.Release("p", "holder").value().handed_to == "w1");
      BookingRecord w1 = f.ledger.at("w1");
      LedgerChange moved{BookingStatus::kReserved,
                         PaymentStatus::kPending,
                         "",
                         LedgerEntry{"RESERVED", NowIso8601(), "handed over"},
                         Lease{"driver-2", w1.lease.token + 1, NowUnixMillis() + 60'000},
                         NowIso8601()};
      REQUIRE(f.ledger.Transition("w1", w1.status, w1.version, moved).ok());
    });
    (void)f.saga.Park(WaitlistFixture::Event("w1"), "test", f.stop);
    // The driver goes on from what it recorded: the charge, then the sale.
    BookingRecord w1 = f.ledger.at("w1");
    auto driven = f.saga.DriveAdmitted(w1, "driver-2", "", f.stop);
    REQUIRE_MESSAGE(driven.ok(), driven.status().ToString());
    CHECK(f.bank.book["w1"] == ChargeState::kCaptured);
    CHECK(f.ledger.at("w1").status == BookingStatus::kConfirmed);  // paid, and has the room
    CHECK(f.Levels().sold == 1);
    CHECK(f.Levels().available == 0);
  }

  TEST_CASE("a batch admits waiters as WAITLISTED records the worker pool checks once more") {
    WaitlistFixture f(1);
    BatchAdmission batches(f.saga);
    REQUIRE(f.inventory.Reserve("p", "holder").value() == ReserveOutcome::kReserved);
    auto admitted = fakes::AdmitBatch(
        batches, {WaitlistFixture::Event("w1"), WaitlistFixture::Event("w2")}, f.stop);
    REQUIRE(admitted.ok());
    for (const Admission& a : *admitted) {
      CHECK(a.next == Admission::Next::kDriveAdmitted);
      CHECK(a.record.status == BookingStatus::kWaitlisted);
      CHECK_FALSE(a.driver.empty());
    }
    // A unit handed to w1 between the reserve and the insert: the worker's
    // check after the insert finds it holding and goes on to pay.
    REQUIRE(f.inventory.Release("p", "holder").value().handed_to == "w1");
    Admission& first = (*admitted)[0];
    auto w1 = f.saga.DriveAdmitted(first.record, first.driver, "", f.stop);
    REQUIRE(w1.ok());
    CHECK(w1->status == BookingStatus::kConfirmed);
    Admission& second = (*admitted)[1];
    auto w2 = f.saga.DriveAdmitted(second.record, second.driver, "", f.stop);
    REQUIRE(w2.ok());
    // w1 bought the last unit and turned w2 away before w2's own check.
    CHECK(w2->status == BookingStatus::kSoldOut);
  }
}

}  // namespace
}  // namespace wanderluxe
