// The saga's state machine over fakes, with every step failing in turn.
#include <doctest/doctest.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "fakes/fake_ports.h"
#include "fakes/fast_saga_options.h"
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
  BookingSaga saga;

  static SagaOptions Options() { return fakes::FastSagaOptions(); }
  explicit SagaFixture(SagaOptions options = Options())
      : saga(std::move(options), inventory, ledger, bank, producer, metrics) {
    inventory.Set("p", 1);
  }

  static BookingEvent Event(const std::string& id, int64_t minor = 1000) {
    BookingEvent e;
    e.event_id = NewUuid();
    e.request = {id, "p", "", {minor, "USD"}, "", ""};
    return e;
  }
  BookingStatus Run(const std::string& id, int64_t minor = 1000) {
    auto r = saga.DriveEvent(Event(id, minor), stop);
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
  TEST_CASE("an outcome publish waits as long as kafka.delivery_timeout_ms, not a fixed 10 s") {
    Config config;
    config.kafka.delivery_timeout_ms = 60'000;  // librdkafka fails the message only then
    SagaOptions options = SagaOptions::From(config);
    options.retry = SagaFixture::Options().retry;
    SagaFixture f(options);
    f.inventory.Set("p", 0);
    auto r = f.saga.DriveEvent(SagaFixture::Event("b-timeout"), f.stop);  // no unit: SOLD_OUT
    REQUIRE(r.ok());
    REQUIRE(f.producer.Published().size() == 1);
    INFO("waited ", f.producer.LastTimeout().count(), " ms");
    CHECK(f.producer.LastTimeout() >= std::chrono::milliseconds(60'000));
    // Not before the producer itself answers a message without a verdict.
    CHECK(f.producer.LastTimeout() == std::chrono::milliseconds(LongestPublishMs(config.kafka)));
  }

  TEST_CASE("happy path: reserve, charge, confirm; one unit sold, one charge, outcome published") {
    SagaFixture f;
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    CHECK(f.Levels().sold == 1);
    CHECK(f.Levels().held == 0);
    CHECK(f.bank.Captured() == 1);
    // Inserted RESERVED, the capture decided, then CONFIRMED.
    CHECK(f.ledger.at("b1").version == 3);
    CHECK(f.ledger.at("b1").payment_status == PaymentStatus::kCaptured);
    CHECK(f.ledger.at("b1").lease.owner.empty());  // a terminal booking has no driver
    CHECK(f.LastOutcome().find("\"CONFIRMED\"") != std::string::npos);
  }

  TEST_CASE("the second guest for the last room is SOLD_OUT and never charged") {
    SagaFixture f;
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    CHECK(f.Run("b2") == BookingStatus::kSoldOut);
    CHECK(f.bank.charge_calls == 1);
    CHECK(f.ledger.at("b2").payment_status == PaymentStatus::kNotAttempted);
    CHECK(f.Levels().available == 0);
  }

  TEST_CASE("an unknown property is SOLD_OUT") {
    SagaFixture f;
    BookingEvent e = SagaFixture::Event("b1");
    e.request.property_id = "nowhere";
    CHECK(f.saga.DriveEvent(e, f.stop)->status == BookingStatus::kSoldOut);
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
    // kDecideThenAct: the void was decided in the ledger (UNKNOWN) before it was sent.
    std::vector<std::string> actions;
    for (const auto& e : f.ledger.at("b1").audit_log) actions.push_back(e.action);
    CHECK(actions ==
          std::vector<std::string>{"PENDING", "RESERVED", "VOIDING", "VOIDED", "FAILED_PAYMENT"});
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

  // Defect 2 of issue 29: every charge landed but no answer came back; the
  // void decided at the deadline is refused because the charge settled.
  TEST_CASE("a void refused because the charge settled: the sale stands, CONFIRMED") {
    SagaFixture f;
    f.bank.lose_replies = true;
    f.bank.settles = true;
    const BookingStatus status = f.Run("b1");
    CHECK(f.bank.book["b1"] == ChargeState::kCaptured);  // the guest paid
    CHECK(status == BookingStatus::kConfirmed);          // and has the room
    CHECK(f.ledger.at("b1").payment_status == PaymentStatus::kCaptured);
    CHECK(f.Levels().sold == 1);
    CHECK(f.Levels().held == 0);
  }

  TEST_CASE("a refund of a capture without a hold, refused because it settled: an error, loudly") {
    SagaFixture f;
    f.bank.settles = true;
    f.faults.FailNextWith("confirm", 1, StatusCode::kFailedPrecondition);  // the hold is gone
    auto r = f.saga.DriveEvent(SagaFixture::Event("b1"), f.stop);
    REQUIRE_FALSE(r.ok());  // parked by the processor: only an operator can refund it
    CHECK(r.status().code() == StatusCode::kFailedPrecondition);
    CHECK(r.status().message().find("refund it by hand") != std::string::npos);
    CHECK(f.bank.book["b1"] == ChargeState::kCaptured);
    CHECK(f.ledger.at("b1").payment_status == PaymentStatus::kUnknown);  // never VOIDED
  }

  // Defect 3 of issue 29: the claim is the commit point, and the document can
  // lag it (the write-down after a won claim failed). The owner reloaded the
  // older document, took it for "someone else moved it", and charged again
  // after it had decided to void.
  TEST_CASE("a document lagging the owner's own claims: no charge after the void is decided") {
    SagaFixture f;
    f.ledger.lag_write_downs = true;
    f.bank.fallback = ChargeOutcome::kUnknown;
    CHECK(f.Run("b1") == BookingStatus::kFailedPayment);
    const auto log = f.faults.log();
    const auto decided = std::find(log.begin(), log.end(), "transition:VOIDING");
    REQUIRE(decided != log.end());
    CHECK_MESSAGE(std::find(decided, log.end(), "charge") == log.end(),
                  "a charge was sent after the void was decided");
    CHECK(f.bank.book["b1"] == ChargeState::kVoided);
    CHECK(f.Levels().available == 1);
  }

  TEST_CASE("redelivery of the same event changes nothing") {
    SagaFixture f;
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    CHECK(f.bank.Captured() == 1);
    CHECK(f.Levels().sold == 1);
    CHECK(f.ledger.at("b1").version == 3);
  }

  // Defect 8 of issue 29: consumers drop duplicate outcomes by eventId.
  TEST_CASE("an outcome published again for the same state has the same eventId") {
    SagaFixture f;
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);  // a redelivery publishes it again
    auto event_id = [](const std::string& value) {
      return nlohmann::json::parse(value).at("eventId").get<std::string>();
    };
    const auto published = f.producer.Published();
    REQUIRE(published.size() == 2);
    CHECK(event_id(published[0].value) == event_id(published[1].value));
    CHECK(f.Run("b2") == BookingStatus::kSoldOut);  // another booking, another id
    CHECK(event_id(f.LastOutcome()) != event_id(published[0].value));
  }

  // Defect 4 of issue 29: librdkafka answers a topic it has no metadata for
  // (deleted, not yet created, a metadata glitch) with UNKNOWN_TOPIC.
  TEST_CASE("an outcome refused for an unknown topic is published once the topic is there") {
    SagaFixture f;
    f.faults.FailNextWith("publish", 3, StatusCode::kNotFound);
    auto r = f.saga.DriveEvent(SagaFixture::Event("b1"), f.stop);
    REQUIRE_MESSAGE(r.ok(), r.status().ToString());  // not parked and dead-lettered
    CHECK(r->status == BookingStatus::kConfirmed);
    CHECK(f.producer.Published().size() == 1);  // the guest hears CONFIRMED
  }

  TEST_CASE("the same bookingId with a different payload is REJECTED, with no side effects") {
    SagaFixture f;
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    auto r = f.saga.DriveEvent(SagaFixture::Event("b1", 9999), f.stop);
    REQUIRE(r.ok());
    CHECK(r->verdict == SagaVerdict::kRejected);
    CHECK(f.bank.charge_calls == 1);
    CHECK(f.ledger.at("b1").status == BookingStatus::kConfirmed);
    CHECK(f.ledger.at("b1").audit_log.back().action == "REJECTED");  // on the booking's trail
    CHECK(f.LastOutcome().find("\"REJECTED\"") != std::string::npos);
  }

  TEST_CASE("shutdown interrupts a retrying saga; resuming later finishes it") {
    SagaFixture f;
    f.faults.FailNext("confirm", 1'000'000);
    std::thread stopper([&] {
      while (f.faults.log().size() < 20) std::this_thread::yield();
      f.stop = true;
    });
    auto r = f.saga.DriveEvent(SagaFixture::Event("b1"), f.stop);
    stopper.join();
    CHECK_FALSE(r.ok());
    CHECK(f.ledger.at("b1").status == BookingStatus::kReserved);  // not terminal, not done
    CHECK(f.ledger.at("b1").lease.owner.empty());  // handed back on shutdown: no wait for it
    f.faults.FailNext("confirm", -1'000'000);      // the store is back
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
      workers.emplace_back([&] { REQUIRE(f.saga.DriveEvent(e, f.stop).ok()); });
    }
    for (auto& w : workers) w.join();
    CHECK(f.ledger.at("b1").status == BookingStatus::kConfirmed);
    CHECK(f.bank.Captured() == 1);
    CHECK(f.Levels().sold == 1);
    CHECK(f.Levels().held == 0);
  }

  TEST_CASE("a booking another live driver holds: the reconciler leaves it, then takes it over") {
    SagaFixture f;
    f.bank.fallback = ChargeOutcome::kUnknown;
    f.faults.FailNext("void", 1'000'000);
    std::thread stopper([&] {
      while (f.faults.log().size() < 30) std::this_thread::yield();
      f.stop = true;
    });
    auto r = f.saga.DriveEvent(SagaFixture::Event("b1"), f.stop);
    stopper.join();
    CHECK_FALSE(r.ok());
    f.stop = false;
    f.faults.FailNext("void", -1'000'000);
    // As if the first driver were alive elsewhere: its lease still runs.
    BookingRecord& b1 = f.ledger.at("b1");
    CHECK(b1.payment_status == PaymentStatus::kUnknown);  // the void was decided
    b1.lease = {"another-processor/driver", 7, NowUnixMillis() + 60'000};
    b1.updated_at = "2000-01-01T00:00:00.000Z";
    Reconciler reconciler(f.ledger, f.saga, std::chrono::seconds(0));
    auto first = reconciler.RunOnce(f.stop);
    REQUIRE(first.ok());
    CHECK(first->owned_elsewhere == 1);
    CHECK(f.ledger.at("b1").status == BookingStatus::kReserved);
    // Its lease lapses: the reconciler takes over with the next fencing token,
    // and follows the ledger's decision: void, never charge again.
    f.ledger.at("b1").lease.until_ms = NowUnixMillis() - 1;
    const int charges_before = f.bank.charge_calls;
    auto second = reconciler.RunOnce(f.stop);
    REQUIRE(second.ok());
    CHECK(second->finished[BookingStatus::kFailedPayment] == 1);
    CHECK(f.bank.charge_calls == charges_before);
    CHECK(f.bank.book["b1"] == ChargeState::kVoided);
    bool taken_over = false;
    for (const auto& e : f.ledger.at("b1").audit_log) {
      taken_over |=
          e.action == "DRIVER" && e.detail.find("another-processor/driver") != std::string::npos;
    }
    CHECK(taken_over);
    CHECK(f.Levels().held == 0);
  }

  TEST_CASE("an error retrying cannot fix: bounded attempts, then parked with the hold released") {
    SagaFixture f;
    f.faults.FailNextWith("confirm", 1'000'000, StatusCode::kInternal);
    auto r = f.saga.DriveEvent(SagaFixture::Event("b1"), f.stop);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == StatusCode::kInternal);
    // The charge was captured: parking it would drop money on the floor.
    CHECK(f.saga.Park(SagaFixture::Event("b1"), r.status().ToString(), f.stop).code() ==
          StatusCode::kFailedPrecondition);

    f.faults.FailNextWith("reserve", 1'000'000, StatusCode::kInternal);
    auto poison = f.saga.DriveEvent(SagaFixture::Event("b2"), f.stop);
    REQUIRE_FALSE(poison.ok());
    CHECK(poison.status().code() == StatusCode::kInternal);
    BookingEvent b2 = SagaFixture::Event("b2");
    b2.metadata.client_id = "c0ffee0123456789";
    REQUIRE(f.saga.Park(b2, poison.status().ToString(), f.stop).ok());
    CHECK(f.ledger.at("b2").status == BookingStatus::kParked);
    // Its owner reads it like any other booking of theirs (issue 17).
    CHECK(f.ledger.at("b2").client_id == "c0ffee0123456789");
    CHECK(f.ledger.at("b2").payment_status == PaymentStatus::kNotAttempted);
    CHECK(f.ledger.at("b2").audit_log.back().action == "PARKED");
    CHECK(f.LastOutcome().find("\"PARKED\"") != std::string::npos);
  }

  TEST_CASE("one bookingId for another property: REJECTED, and any hold on the other is released") {
    SagaFixture f;
    f.inventory.Set("q", 1);
    CHECK(f.Run("b1") == BookingStatus::kConfirmed);
    // A hold a crashed driver of the second event left on q before the ledger said no.
    REQUIRE(f.inventory.Reserve("q", "b1").ok());
    BookingEvent other = SagaFixture::Event("b1");
    other.request.property_id = "q";
    auto r = f.saga.DriveEvent(other, f.stop);
    REQUIRE(r.ok());
    CHECK(r->verdict == SagaVerdict::kRejected);
    CHECK(f.inventory.Levels("q")->held == 0);
    CHECK(f.inventory.Levels("q")->available == 1);
  }
}

}  // namespace
}  // namespace wanderluxe
