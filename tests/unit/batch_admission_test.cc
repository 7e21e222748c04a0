// The processor's batches over fakes (issue 14): one ledger read, one reserve
// script call per property, one bulk insert; first come, first served in
// offset order; and every ordering that could oversell, leak or re-reserve.
#include <doctest/doctest.h>

#include <functional>

#include "fakes/admit_batch.h"
#include "fakes/fake_ports.h"
#include "fakes/fast_saga_options.h"
#include "wanderluxe/batch_admission.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using fakes::Faults;
using Next = Admission::Next;

// A ledger that lets another driver act once, right after the batch's read:
// the window in which a duplicate of a booking can be recorded first.
class RacingLedger final : public fakes::FakeLedger {
 public:
  using FakeLedger::FakeLedger;
  Result<std::map<std::string, BookingRecord>> GetMany(
      const std::vector<std::string>& ids) override {
    auto found = FakeLedger::GetMany(ids);
    if (after_read) std::exchange(after_read, nullptr)();
    return found;
  }
  std::function<void()> after_read;
};

struct BatchFixture {
  Faults faults;
  fakes::FakeInventory inventory{faults};
  RacingLedger ledger{faults};
  fakes::FakeBank bank{faults};
  fakes::FakeProducer producer{faults};
  MetricsRegistry metrics;
  std::atomic<bool> stop{false};
  BookingSaga saga{Options(), inventory, ledger, bank, producer, metrics};
  BatchAdmission batches{saga};

  static SagaOptions Options() { return fakes::FastSagaOptions(); }
  explicit BatchFixture(int64_t units) { inventory.Set("p", units); }

  static BookingEvent Event(const std::string& id, const std::string& property = "p") {
    BookingEvent e;
    e.event_id = NewUuid();
    e.request = {id, property, "", {1000, "USD"}, "", ""};
    return e;
  }
  static std::vector<BookingEvent> Events(const std::vector<std::string>& ids) {
    std::vector<BookingEvent> events;
    for (const auto& id : ids) events.push_back(Event(id));
    return events;
  }
  std::vector<Admission> Admit(const std::vector<BookingEvent>& events) {
    auto admitted = fakes::AdmitBatch(batches, events, stop);
    REQUIRE_MESSAGE(admitted.ok(), admitted.status().ToString());
    REQUIRE(admitted->size() == events.size());
    return std::move(*admitted);
  }
  int Calls(const std::string& op) {
    int n = 0;
    for (const auto& logged : faults.log()) n += logged == op;
    return n;
  }
  InventoryLevels Levels() { return *inventory.Levels("p"); }
  BookingRecord Recorded(BookingStatus status, const std::string& id, Lease lease = {}) {
    BookingRecord r;
    r.request = Event(id).request;
    r.fingerprint = r.request.Fingerprint();
    r.status = status;
    r.payment_status =
        status == BookingStatus::kReserved ? PaymentStatus::kPending : PaymentStatus::kNotAttempted;
    r.lease = lease;
    r.created_at = r.updated_at = NowIso8601();
    return r;
  }
};

TEST_SUITE("unit.batch") {
  TEST_CASE(
      "3 units, 10 new bookings: the first 3 in offset order hold, 7 SOLD_OUT, one call each") {
    BatchFixture f(3);
    std::vector<std::string> ids;
    for (int i = 0; i < 10; ++i) ids.push_back("b" + std::to_string(i));
    auto a = f.Admit(BatchFixture::Events(ids));
    for (int i = 0; i < 3; ++i) {
      CAPTURE(i);
      CHECK(a[i].next == Next::kDriveAdmitted);
      CHECK(a[i].record.status == BookingStatus::kReserved);
      CHECK(a[i].record.lease.owner == a[i].driver);
      CHECK(f.ledger.at(ids[i]).lease.owner == a[i].driver);  // the saga's own lease
    }
    for (int i = 3; i < 10; ++i) {
      CAPTURE(i);
      CHECK(a[i].next == Next::kPublish);
      CHECK(f.ledger.at(ids[i]).status == BookingStatus::kSoldOut);
      CHECK(a[i].outcome.key == ids[i]);
      CHECK(a[i].outcome.value.find("\"SOLD_OUT\"") != std::string::npos);
    }
    CHECK(a[0].driver != a[1].driver);  // one driver per booking, as one by one
    CHECK(f.Levels().available == 0);
    CHECK(f.Levels().held == 3);
    CHECK(f.Calls("get-many") == 1);
    CHECK(f.Calls("reserve-batch") == 1);
    CHECK(f.Calls("insert-many") == 1);
    CHECK(f.Calls("get") + f.Calls("reserve") + f.Calls("insert") == 0);
  }

  TEST_CASE(
      "held bookings continue to CONFIRMED under the batch's driver; sold out ones are done") {
    BatchFixture f(2);
    auto events = BatchFixture::Events({"b0", "b1", "b2"});
    auto a = f.Admit(events);
    for (int i = 0; i < 2; ++i) {
      REQUIRE(a[i].next == Next::kDriveAdmitted);
      auto r = f.saga.DriveAdmitted(a[i].record, a[i].driver, "", f.stop);
      REQUIRE_MESSAGE(r.ok(), r.status().ToString());
      CHECK(r->status == BookingStatus::kConfirmed);
    }
    CHECK(a[2].next == Next::kPublish);
    CHECK(f.Levels().sold == 2);
    CHECK(f.Levels().held == 0);
    CHECK(f.bank.Captured() == 2);
    CHECK(f.Calls("charge") == 2);  // nobody waited for a lease to lapse
  }

  TEST_CASE("duplicates inside one batch: only the first is decided, the rest go one by one") {
    BatchFixture f(1);
    auto a = f.Admit(BatchFixture::Events({"b1", "b2", "b1", "b2"}));
    CHECK(a[0].next == Next::kDriveAdmitted);
    CHECK(a[1].next == Next::kPublish);
    CHECK(a[2].next == Next::kDriveEvent);
    CHECK(a[3].next == Next::kDriveEvent);
    CHECK(f.Levels().held == 1);
    CHECK(f.Levels().available == 0);
    // The later event of b1 resumes from the ledger: held by b1's driver, so
    // the one-by-one path finds it owned; it never reserves twice.
    CHECK(f.inventory.Holds("p", "b1"));
    CHECK_FALSE(f.inventory.Holds("p", "b2"));
  }

  TEST_CASE(
      "a booking of a batch still in flight is neither read nor reserved (kNotTwiceInFlight)") {
    BatchFixture f(3);
    // b1 was taken by the partition's previous batch, whose insert has not
    // answered yet: the ledger cannot tell this batch about it.
    auto decided = f.batches.Decide(BatchFixture::Events({"b0", "b1", "b2", "b1"}), {"b1"}, f.stop);
    REQUIRE_MESSAGE(decided.ok(), decided.status().ToString());
    CHECK(decided->decided == std::vector<size_t>{0, 2});
    CHECK(f.Calls("get-many") == 1);
    CHECK(f.Calls("reserve-batch") == 1);
    CHECK_FALSE(f.inventory.Holds("p", "b1"));
    CHECK(f.Levels().held == 2);
    // Only b1 in flight: nothing to read, nothing to reserve.
    auto none = f.batches.Decide(BatchFixture::Events({"b1", "b1"}), {"b1"}, f.stop);
    REQUIRE(none.ok());
    CHECK(none->decided.empty());
    CHECK(f.Calls("get-many") == 1);
    CHECK(f.Calls("reserve-batch") == 1);
  }

  TEST_CASE("two batches overlap: the later decides while the earlier records; order kept") {
    BatchFixture f(3);
    const auto first = BatchFixture::Events({"b0", "b1"});
    const auto second = BatchFixture::Events({"b2", "b3", "b4"});
    auto one = f.batches.Decide(first, {}, f.stop);
    REQUIRE(one.ok());
    auto two = f.batches.Decide(second, {"b0", "b1"}, f.stop);  // before the first's insert
    REQUIRE(two.ok());
    auto recorded_two = f.batches.Record(second, std::move(*two), f.stop);  // answers first
    auto recorded_one = f.batches.Record(first, std::move(*one), f.stop);
    REQUIRE(recorded_one.ok());
    REQUIRE(recorded_two.ok());
    // First come, first served across the batches: the reserves went in order.
    CHECK((*recorded_one)[0].next == Next::kDriveAdmitted);
    CHECK((*recorded_one)[1].next == Next::kDriveAdmitted);
    CHECK((*recorded_two)[0].next == Next::kDriveAdmitted);
    CHECK((*recorded_two)[1].next == Next::kPublish);
    CHECK((*recorded_two)[2].next == Next::kPublish);
    CHECK(f.ledger.at("b2").status == BookingStatus::kReserved);
    CHECK(f.ledger.at("b3").status == BookingStatus::kSoldOut);
    CHECK(f.Levels().held == 3);
    CHECK(f.Levels().available == 0);
  }

  TEST_CASE("a booking already in the ledger is resumed, never reserved again") {
    BatchFixture f(1);
    // b-old failed payment earlier (no unit); its event is redelivered ahead of b-new.
    REQUIRE(f.ledger.Insert(f.Recorded(BookingStatus::kFailedPayment, "b-old")).ok());
    auto a = f.Admit(BatchFixture::Events({"b-old", "b-new"}));
    CHECK(a[0].next == Next::kDriveEvent);
    CHECK(a[1].next == Next::kDriveAdmitted);  // first come among the new: the unit is b-new's
    CHECK_FALSE(f.inventory.Holds("p", "b-old"));
    CHECK(f.inventory.Holds("p", "b-new"));
    CHECK(f.ledger.at("b-old").status == BookingStatus::kFailedPayment);  // untouched
    CHECK(f.ledger.at("b-old").version == 1);
  }

  TEST_CASE("an insert lost to a terminal record gives the unit back (kNoLeak)") {
    BatchFixture f(1);
    f.ledger.after_read = [&] {
      // A duplicate of b1 was decided SOLD_OUT elsewhere, after our read.
      REQUIRE(f.ledger.Insert(f.Recorded(BookingStatus::kSoldOut, "b1")).ok());
    };
    auto a = f.Admit(BatchFixture::Events({"b1"}));
    CHECK(a[0].next == Next::kDriveEvent);
    CHECK(f.ledger.at("b1").status == BookingStatus::kSoldOut);
    CHECK(f.Levels().held == 0);
    CHECK(f.Levels().available == 1);
  }

  TEST_CASE("an insert lost to a record holding the unit leaves that hold alone") {
    BatchFixture f(1);
    f.ledger.after_read = [&] {
      // Another driver reserved b1 and recorded it RESERVED, after our read.
      REQUIRE(*f.inventory.Reserve("p", "b1") == ReserveOutcome::kReserved);
      Lease other{"other-driver", 1, NowUnixMillis() + 60'000};
      REQUIRE(f.ledger.Insert(f.Recorded(BookingStatus::kReserved, "b1", other)).ok());
    };
    auto a = f.Admit(BatchFixture::Events({"b1", "b2"}));
    CHECK(a[0].next == Next::kDriveEvent);  // its driver finishes it; ours waits its turn
    CHECK(a[1].next == Next::kPublish);     // the one unit is b1's
    CHECK(f.inventory.Holds("p", "b1"));
    CHECK(f.Levels().held == 1);
    CHECK(f.Levels().available == 0);
    CHECK(f.ledger.at("b1").lease.owner == "other-driver");
  }

  TEST_CASE("a crash between reserve and insert: redelivered, reserved once, recorded, sold once") {
    BatchFixture f(2);
    auto events = BatchFixture::Events({"b1"});
    f.faults.FailNext("insert-many", 1);
    f.stop = true;  // the processor dies while the insert fails
    auto crashed = fakes::AdmitBatch(f.batches, events, f.stop);
    REQUIRE_FALSE(crashed.ok());
    CHECK(f.inventory.Holds("p", "b1"));  // reserved, not recorded
    CHECK_FALSE(f.ledger.GetMany({"b1"})->count("b1"));

    f.stop = false;  // redelivery to a new process
    BatchAdmission again{f.saga};
    auto redone = fakes::AdmitBatch(again, events, f.stop);
    REQUIRE(redone.ok());
    REQUIRE((*redone)[0].next == Next::kDriveAdmitted);  // "already held": the same unit
    CHECK(f.Levels().held == 1);
    CHECK(f.Levels().available == 1);
    auto r = f.saga.DriveAdmitted((*redone)[0].record, (*redone)[0].driver, "", f.stop);
    REQUIRE(r.ok());
    CHECK(r->status == BookingStatus::kConfirmed);
    CHECK(f.Levels().sold == 1);
    CHECK(f.Levels().available == 1);
  }

  TEST_CASE("a bulk insert that fails half way is retried: its own records are recognised") {
    BatchFixture f(2);
    f.faults.FailNext("insert-many", 1);  // the fake inserts the first half, then fails
    auto a = f.Admit(BatchFixture::Events({"b0", "b1", "b2", "b3"}));
    CHECK(f.Calls("insert-many") == 2);
    CHECK(a[0].next == Next::kDriveAdmitted);  // in by the first attempt, leased to our driver
    CHECK(a[1].next == Next::kDriveAdmitted);
    CHECK(a[2].next == Next::kPublish);
    CHECK(a[3].next == Next::kPublish);
    CHECK(f.Levels().held == 2);
    CHECK(f.ledger.at("b0").lease.owner == a[0].driver);
  }

  TEST_CASE("a redelivered batch whose records are in finds them all, reserves nothing") {
    BatchFixture f(1);
    auto events = BatchFixture::Events({"b0", "b1", "b2"});
    f.Admit(events);
    const InventoryLevels before = f.Levels();
    auto again = f.Admit(events);
    for (const auto& a : again) CHECK(a.next == Next::kDriveEvent);
    CHECK(f.Calls("reserve-batch") == 1);  // only the first time
    CHECK(f.Levels().held == before.held);
    CHECK(f.Levels().available == before.available);
  }

  TEST_CASE("properties decided apart, each first come first served; unknown property SOLD_OUT") {
    BatchFixture f(1);
    f.inventory.Set("q", 1);
    std::vector<BookingEvent> events = {
        BatchFixture::Event("p1", "p"), BatchFixture::Event("q1", "q"),
        BatchFixture::Event("p2", "p"), BatchFixture::Event("q2", "q"),
        BatchFixture::Event("x1", "nowhere")};
    auto a = f.Admit(events);
    CHECK(a[0].next == Next::kDriveAdmitted);
    CHECK(a[1].next == Next::kDriveAdmitted);
    CHECK(a[2].next == Next::kPublish);
    CHECK(a[3].next == Next::kPublish);
    CHECK(a[4].next == Next::kPublish);
    CHECK(f.ledger.at("x1").audit_log.back().detail.find("no inventory") != std::string::npos);
    CHECK(f.Calls("reserve-batch") == 3);
  }

  TEST_CASE("a reserve store down: retried until it answers; stop interrupts with nothing done") {
    BatchFixture f(1);
    f.faults.FailNext("reserve-batch", 2);
    auto a = f.Admit(BatchFixture::Events({"b1"}));
    CHECK(a[0].next == Next::kDriveAdmitted);
    CHECK(f.Calls("reserve-batch") == 3);

    f.faults.FailNext("get-many", 1);
    f.stop = true;
    auto interrupted = fakes::AdmitBatch(f.batches, BatchFixture::Events({"b2"}), f.stop);
    CHECK_FALSE(interrupted.ok());
    CHECK_FALSE(f.inventory.Holds("p", "b2"));
  }
}

}  // namespace
}  // namespace wanderluxe
