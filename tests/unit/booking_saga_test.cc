// The saga's state machine over fakes, with every step failing in turn.
#include <doctest/doctest.h>

#include <algorithm>
#include <thread>

#include "fakes/fake_ports.h"
#include "wanderluxe/booking_saga.h"
#include "wanderluxe/ids.h"
#include "wanderluxe/reconciler.h"

namespace wanderluxe {
namespace {

using fakes::Faults;

struct SagaFixture {
  Faults faults;
  fakes::FakeInventory inventory{faults};
  fakes::FakeLedger ledger{faults};
  fakes::FakeBank bank{faults};
  fakes::FakeProducer producer{faults};
  MetricsRegistry metrics;
  std::atomic<bool> stop{false};
  BookingSaga saga{Options(), inventory, ledger, bank, producer, metrics};

  static SagaOptions Options() {
    SagaOptions o;
    o.retry = {std::chrono::milliseconds(1), std::chrono::milliseconds(2), 2, 0};
    o.payment_deadline = std::chrono::milliseconds(30);
    return o;
  }
  SagaFixture() { inventory.Set("p", 1); }

  static BookingEvent Event(const std::string& id, int64_t minor = 1000) {
    BookingEvent e;
    e.event_id = NewUuid();
    e.request = {id, "p", "", {minor, "USD"}, "", ""};
    return e;
  }
  BookingStatus Run(const std::string& id, int64_t minor = 1000) {
    auto r = saga.Process(Event(id, minor), stop);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());
    return r->status;
  }
  InventoryLevels Levels() { return *inventory.Levels("p"); }
  std::string LastOutcome() {
    auto all = producer.Published();
    return all.empty() ? "" : all.back().value;
  }
};

TEST_SUITE("unit.saga") {
  TEST_CASE("happy path: reserve, charge, confirm; one unit sold, one charge, outcome published") {
    SagaFixture f;
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    CHECK(f.Levels().sold == 1);
    CHECK(f.Levels().held == 0);
    CHECK(f.bank.Captured() == 1);
    CHECK(f.ledger.at("b1").version == 2);  // inserted RESERVED, then CONFIRMED
    CHECK(f.ledger.at("b1").payment_status == PaymentStatus::kCaptured);
    CHECK(f.LastOutcome().find("\"CONFIRMED\"") != std::string::npos);
  }

  TEST_CASE("the second guest for the last room is SOLD_OUT and never charged") {
    SagaFixture f;
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    CHECK(f.Run("b2") == BookingStatus::kSoldOut);
    CHECK(f.bank.charge_calls == 1);
    CHECK(f.Levels().available == 0);
  }

  TEST_CASE("an unknown property is SOLD_OUT") {
    SagaFixture f;
    BookingEvent e = SagaFixture::Event("b1");
    e.request.property_id = "nowhere";
    CHECK(f.saga.Process(e, f.stop)->status == BookingStatus::kSoldOut);
  }

  TEST_CASE("declined: the hold is released and the booking is FAILED_PAYMENT") {
    SagaFixture f;
    f.bank.fallback = ChargeOutcome::kDeclined;
    CHECK(f.Run("b1") == BookingStatus::kFailedPayment);
    CHECK(f.Levels().available == 1);
    CHECK(f.Levels().held == 0);
    CHECK(f.ledger.at("b1").payment_status == PaymentStatus::kDeclined);
  }

  TEST_CASE("every step failing transiently still ends in the right state") {
    for (const char* step : {"get", "insert", "reserve", "transition", "confirm", "publish"}) {
      SagaFixture f;
      f.faults.FailNext(step, 3);
      CHECK_MESSAGE(f.Run("b1") == BookingStatus::kConfirmed, step);
      CHECK(f.Levels().sold == 1);
      CHECK(f.bank.Captured() == 1);
    }
  }

  TEST_CASE("double failure: declined, then the release fails too; it is retried until done") {
    SagaFixture f;
    f.bank.fallback = ChargeOutcome::kDeclined;
    f.faults.FailNext("release", 5);
    CHECK(f.Run("b1") == BookingStatus::kFailedPayment);
    CHECK(f.Levels().held == 0);
    CHECK(f.Levels().available == 1);  // kNoLeak
  }

  TEST_CASE("ambiguous charge: retried by key until the deadline, voided, and only then released") {
    SagaFixture f;
    f.bank.fallback = ChargeOutcome::kUnknown;
    CHECK(f.Run("b1") == BookingStatus::kFailedPayment);
    CHECK(f.bank.charge_calls > 1);
    CHECK(f.ledger.at("b1").payment_status == PaymentStatus::kVoided);
    const auto log = f.faults.log();
    const auto void_at = std::find(log.begin(), log.end(), "void");
    const auto release_at = std::find(log.begin(), log.end(), "release");
    REQUIRE(void_at != log.end());
    REQUIRE(release_at != log.end());
    CHECK(void_at < release_at);  // kNoReleaseWhileChargeMayLand
    CHECK(f.Levels().available == 1);
  }

  TEST_CASE("ambiguous, then the retry with the same key captures: one charge, CONFIRMED") {
    SagaFixture f;
    f.bank.script = {ChargeOutcome::kUnknown, ChargeOutcome::kUnknown};
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    CHECK(f.bank.Captured() == 1);
  }

  TEST_CASE("redelivery of the same event changes nothing") {
    SagaFixture f;
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    CHECK(f.bank.Captured() == 1);
    CHECK(f.Levels().sold == 1);
    CHECK(f.ledger.at("b1").version == 2);
  }

  TEST_CASE("the same bookingId with a different payload is REJECTED, with no side effects") {
    SagaFixture f;
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    auto r = f.saga.Process(SagaFixture::Event("b1", 9999), f.stop);
    REQUIRE(r.ok());
    CHECK(r->verdict == SagaVerdict::kRejected);
    CHECK(f.bank.charge_calls == 1);
    CHECK(f.ledger.at("b1").version == 2);
    CHECK(f.LastOutcome().find("\"REJECTED\"") != std::string::npos);
  }

  TEST_CASE("shutdown interrupts a retrying saga; resuming later finishes it") {
    SagaFixture f;
    f.faults.FailNext("confirm", 1'000'000);
    std::thread stopper([&] {
      while (f.faults.log().size() < 20) std::this_thread::yield();
      f.stop = true;
    });
    auto r = f.saga.Process(SagaFixture::Event("b1"), f.stop);
    stopper.join();
    CHECK_FALSE(r.ok());
    CHECK(f.ledger.at("b1").status == BookingStatus::kReserved);  // not terminal, not done
    f.faults.FailNext("confirm", -1'000'000);                      // the store is back
    f.stop = false;
    Reconciler reconciler(f.ledger, f.saga, std::chrono::seconds(0));
    // Make it stale: the reconciler only touches bookings older than the threshold.
    f.ledger.at("b1").updated_at = "2000-01-01T00:00:00.000Z";
    auto report = reconciler.RunOnce(f.stop);
    REQUIRE(report.ok());
    CHECK(report->found == 1);
    CHECK(report->finished[BookingStatus::kConfirmed] == 1);
    CHECK(f.bank.Captured() == 1);
  }

  TEST_CASE("two workers racing on the same booking: one charge, one unit") {
    SagaFixture f;
    BookingEvent e = SagaFixture::Event("b1");
    std::vector<std::thread> workers;
    for (int i = 0; i < 8; ++i) {
      workers.emplace_back([&] { REQUIRE(f.saga.Process(e, f.stop).ok()); });
    }
    for (auto& w : workers) w.join();
    CHECK(f.ledger.at("b1").status == BookingStatus::kConfirmed);
    CHECK(f.bank.Captured() == 1);
    CHECK(f.Levels().sold == 1);
    CHECK(f.Levels().held == 0);
  }
}

}  // namespace
}  // namespace wanderluxe
