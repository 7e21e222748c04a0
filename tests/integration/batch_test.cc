// The processor's batches against the live Redis and FerretDB (issue 14): the
// batch reserve script answers exactly as the single one would, the ledger's
// bulk read and insert in both lookups, and two processors admitting the same
// events at once (a redelivery racing the first delivery).
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "adapters/kafka/kafka_admin.h"
#include "adapters/mongo/mongo_ledger.h"
#include "adapters/redis/redis_inventory_store.h"
#include "fakes/admit_batch.h"
#include "roles/common/saga_wiring.h"
#include "support/servers.h"
#include "wanderluxe/batch_admission.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using R = ReserveOutcome;

std::vector<R> Outcomes(const std::vector<Reservation>& reservations) {
  std::vector<R> out;
  for (const Reservation& r : reservations) out.push_back(r.outcome);
  return out;
}

BookingEvent Event(const std::string& id, const std::string& property) {
  BookingEvent e;
  e.event_id = NewUuid();
  e.timestamp = NowIso8601();
  e.request = {id, property, "", {1000, "USD"}, "", ""};
  return e;
}

BookingRecord Record(const std::string& id, const std::string& property) {
  BookingRecord r;
  r.request = Event(id, property).request;
  r.fingerprint = r.request.Fingerprint();
  r.status = BookingStatus::kSoldOut;
  r.payment_status = PaymentStatus::kNotAttempted;
  r.created_at = r.updated_at = NowIso8601();
  return r;
}

std::unique_ptr<SagaWiring> Wire(const Config& config, MetricsRegistry& metrics) {
  auto wiring = WireSaga(config, metrics);
  REQUIRE_MESSAGE(wiring.ok(), wiring.status().ToString());
  REQUIRE_MESSAGE((*wiring)->redis->Ping().ok(), "Redis down -- start it with scripts/stack up");
  REQUIRE_MESSAGE((*wiring)->mongo->Ping().ok(), "FerretDB down -- start it with scripts/stack up");
  return std::move(*wiring);
}

TEST_SUITE("integration.batch") {
  TEST_CASE("the batch reserve script answers, in order, what one reserve after another would") {
    MetricsRegistry metrics;
    // The waitlist off: what the script decides when no guest may wait.
    auto w = Wire(testing::LiveConfig(
                      {"mongo.database=" + testing::UniqueName("rb"), "saga.waitlist_per_unit=0"}),
                  metrics);
    const std::string p = testing::UniqueName("prop-rb");
    REQUIRE(w->inventory->Seed(p, 3, true).ok());
    REQUIRE(w->inventory->Reserve(p, "held").value() == R::kReserved);
    REQUIRE(w->inventory->Reserve(p, "sold").value() == R::kReserved);
    REQUIRE(w->inventory->Confirm(p, "sold").ok());
    auto answers = w->inventory->ReserveBatch(p, {"held", "n1", "n2", "sold", "n1", "n3"});
    REQUIRE_MESSAGE(answers.ok(), answers.status().ToString());
    CHECK(Outcomes(*answers) == std::vector<R>{R::kAlreadyHeld, R::kReserved, R::kSoldOut,
                                               R::kAlreadySold, R::kAlreadyHeld, R::kSoldOut});
    const InventoryLevels levels = w->inventory->Levels(p).value();
    CHECK(levels.available == 0);
    CHECK(levels.held == 2);
    CHECK(levels.sold == 1);
    auto unknown = w->inventory->ReserveBatch(testing::UniqueName("nowhere"), {"a", "b"});
    REQUIRE(unknown.ok());
    CHECK(Outcomes(*unknown) == std::vector<R>{R::kUnknownProperty, R::kUnknownProperty});
    // Set by hand (redis-cli): the first batch records the total, as a single reserve does.
    const std::string by_hand = testing::UniqueName("prop-hand");
    REQUIRE(
        w->redis->Command({"SET", KeysFor(w->redis->config().property_tag, by_hand).available, "1"})
            .ok());
    CHECK(Outcomes(w->inventory->ReserveBatch(by_hand, {"x", "y"}).value()) ==
          std::vector<R>{R::kReserved, R::kSoldOut});
    CHECK(w->inventory->Levels(by_hand).value().total == 1);
  }

  TEST_CASE("GetMany and InsertMany on FerretDB, by `$in` and by presence markers") {
    for (const char* lookup : {"in", "presence-markers"}) {
      CAPTURE(lookup);
      MetricsRegistry metrics;
      auto w = Wire(testing::LiveConfig({"mongo.database=" + testing::UniqueName("gm"),
                                         "mongo.ledger_shards=8",
                                         std::string("mongo.ledger_lookup=") + lookup}),
                    metrics);
      const std::string p = testing::UniqueName("prop-gm");
      for (const char* id : {"r0", "r1", "r2"}) REQUIRE(w->ledger->Insert(Record(id, p)).ok());
      auto found = w->ledger->GetMany({"r0", "x", "r1", "y", "r2"});
      REQUIRE_MESSAGE(found.ok(), found.status().ToString());
      CHECK(found->size() == 3);
      CHECK(found->count("r1") == 1);
      CHECK(found->at("r2").request.property_id == p);
      // Looked up before: still absent (a marker is not a record).
      CHECK(w->ledger->GetMany({"x", "y"}).value().empty());
      auto inserted = w->ledger->InsertMany({Record("r1", p), Record("x", p), Record("n", p)});
      REQUIRE_MESSAGE(inserted.ok(), inserted.status().ToString());
      CHECK(*inserted == std::vector<InsertOutcome>{InsertOutcome::kExists,
                                                    InsertOutcome::kInserted,
                                                    InsertOutcome::kInserted});
      auto again = w->ledger->GetMany({"x", "n", "r0"});
      REQUIRE(again.ok());
      CHECK(again->size() == 3);
      CHECK(w->ledger->StatusByBooking(p).value().size() == 5);
      CHECK(w->ledger->DropAll().ok());
    }
  }

  TEST_CASE("two processors admit the same 200 events at once: 5 held, each booking once") {
    const std::string outcomes = testing::UniqueName("race-outcomes");
    const Config config = testing::LiveConfig(
        {"mongo.database=" + testing::UniqueName("race"), "kafka.outcomes_topic=" + outcomes,
         "bank.mode=simulated", "bank.latency_ms=0", "saga.retry_initial_ms=5"});
    auto created = EnsureTopics(config.kafka, {{outcomes, 1, 1}});
    REQUIRE_MESSAGE(created.ok(), "Kafka: ", created.status().ToString());
    MetricsRegistry metrics_a, metrics_b;
    auto a = Wire(config, metrics_a);
    auto b = Wire(config, metrics_b);
    const std::string p = testing::UniqueName("prop-race");
    REQUIRE(a->inventory->Seed(p, 5, true).ok());
    std::vector<BookingEvent> events;
    for (int i = 0; i < 200; ++i) events.push_back(Event("race-" + std::to_string(i), p));

    std::atomic<bool> stop{false};
    BatchAdmission batches_a{*a->saga}, batches_b{*b->saga};
    Result<std::vector<Admission>> admitted_a = Status::Internal("not run");
    Result<std::vector<Admission>> admitted_b = Status::Internal("not run");
    std::thread ta([&] { admitted_a = fakes::AdmitBatch(batches_a, events, stop); });
    std::thread tb([&] { admitted_b = fakes::AdmitBatch(batches_b, events, stop); });
    ta.join();
    tb.join();
    REQUIRE_MESSAGE(admitted_a.ok(), admitted_a.status().ToString());
    REQUIRE_MESSAGE(admitted_b.ok(), admitted_b.status().ToString());

    auto statuses = a->ledger->StatusByBooking(p).value();
    CHECK(statuses.size() == 200);  // every booking recorded, once
    std::set<std::string> reserved;
    for (const auto& [id, s] : statuses) {
      if (s == BookingStatus::kReserved) reserved.insert(id);
    }
    auto holders = a->inventory->Holders(p, /*sold=*/false).value();
    CHECK(reserved.size() == 5);
    CHECK(std::set<std::string>(holders.begin(), holders.end()) == reserved);  // agree
    CHECK(a->inventory->Levels(p).value().available == 0);

    // Each booking is continued by the one actor whose record is in: the
    // holders pay, then the waiters (2 per unit) learn the last unit sold.
    int holders_continued = 0, waiters_continued = 0;
    for (const BookingStatus kind : {BookingStatus::kReserved, BookingStatus::kWaitlisted}) {
      for (auto* admitted : {&*admitted_a, &*admitted_b}) {
        BookingSaga& saga = admitted == &*admitted_a ? *a->saga : *b->saga;
        for (auto& adm : *admitted) {
          if (adm.next != Admission::Next::kDriveAdmitted || adm.record.status != kind) continue;
          ++(kind == BookingStatus::kReserved ? holders_continued : waiters_continued);
          auto r = saga.DriveAdmitted(adm.record, adm.driver, "", stop);
          REQUIRE_MESSAGE(r.ok(), r.status().ToString());
          CHECK(r->status == (kind == BookingStatus::kReserved ? BookingStatus::kConfirmed
                                                               : BookingStatus::kSoldOut));
        }
      }
    }
    CHECK(holders_continued == 5);
    CHECK(waiters_continued == 10);
    CHECK(a->ledger->CountByStatus(p).value()[BookingStatus::kSoldOut] == 195);
    const InventoryLevels levels = a->inventory->Levels(p).value();
    CHECK(levels.sold == 5);
    CHECK(levels.held == 0);
    CHECK(levels.available == 0);
    CHECK(a->ledger->CountByStatus(p).value()[BookingStatus::kConfirmed] == 5);
  }
}

}  // namespace
}  // namespace wanderluxe
