// kWriteDownAtEnd against the live FerretDB: a change that leaves a booking
// open is written onto its document with the one that ends it, in one
// update, while every read still answers the claims; a document not where
// this process left it is caught up through the claims instead.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "adapters/mongo/mongo_ledger.h"
#include "support/servers.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

BookingRecord Reserved(const std::string& id) {
  BookingRecord r;
  r.request = {id, "prop-wd", "user-1", {500000, "USD"}, "", ""};
  r.fingerprint = r.request.Fingerprint();
  r.status = BookingStatus::kReserved;
  r.created_at = r.updated_at = NowIso8601();
  r.audit_log = {{"RESERVED", r.created_at, "test"}};
  return r;
}

LedgerChange Change(BookingStatus to, PaymentStatus payment, const std::string& action) {
  return {to,
          payment,
          action == "CONFIRMED" ? "txn-1" : "",
          LedgerEntry{action, NowIso8601(), "t"},
          std::nullopt,
          ""};
}

const LedgerChange kCaptured =
    Change(BookingStatus::kReserved, PaymentStatus::kCaptured, "CHARGE_CAPTURED");
const LedgerChange kConfirmed =
    Change(BookingStatus::kConfirmed, PaymentStatus::kCaptured, "CONFIRMED");

struct Live {
  explicit Live(const std::string& mode, const std::string& lookup = "in") {
    config = testing::LiveConfig({"mongo.database=" + testing::UniqueName("write-down"),
                                  "mongo.ledger_shards=4", "mongo.write_down=" + mode,
                                  "mongo.ledger_lookup=" + lookup});
    auto s = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(s.ok(), s.status().ToString(), " -- start it with scripts/stack up");
    store = std::move(*s);
    ledger = std::make_unique<MongoLedger>(*store);
  }
  ~Live() { (void)ledger->DropAll(); }

  // The booking's document as stored, without following its claims.
  nlohmann::json Document(const std::string& id) {
    auto doc = store->FindById(ledger->CollectionFor(id), id);
    REQUIRE(doc.ok());
    REQUIRE(doc->has_value());
    return nlohmann::json::parse(**doc);
  }

  Config config;
  std::unique_ptr<MongoStore> store;
  std::unique_ptr<MongoLedger> ledger;
};

int64_t Version(const nlohmann::json& doc) { return doc.at("version").get<int64_t>(); }

TEST_SUITE("integration.ledger_write_down") {
  TEST_CASE("at-end: the open change waits, the ending one writes both in one update") {
    Live live("at-end");
    MongoLedger& ledger = *live.ledger;
    REQUIRE(ledger.Insert(Reserved("wd-1")).ok());
    const int64_t updates_before = live.store->operation_counts().updates;

    REQUIRE(ledger.Transition("wd-1", BookingStatus::kReserved, 1, kCaptured).ok());
    CHECK(Version(live.Document("wd-1")) == 1);  // deferred
    auto read = ledger.Get("wd-1");              // kReadsClaims: the read answers the claim
    REQUIRE((read.ok() && read->has_value()));
    CHECK((*read)->version == 2);
    CHECK((*read)->payment_status == PaymentStatus::kCaptured);

    REQUIRE(ledger.Transition("wd-1", BookingStatus::kReserved, 2, kConfirmed).ok());
    const nlohmann::json doc = live.Document("wd-1");
    CHECK(Version(doc) == 3);
    CHECK(doc["status"] == "CONFIRMED");
    CHECK(doc["payment"]["status"] == "CAPTURED");
    CHECK(doc["payment"]["transactionId"] == "txn-1");
    REQUIRE(doc["auditLog"].size() == 3);
    CHECK(doc["auditLog"][1]["action"] == "CHARGE_CAPTURED");
    CHECK(doc["auditLog"][2]["action"] == "CONFIRMED");
    // The read above wrote v2 down as a courtesy, so the ending write-down
    // found the document moved and caught it up: no lost change either way.
    CHECK(live.store->operation_counts().updates - updates_before >= 1);
  }

  TEST_CASE("at-end: one update for a drive nobody read in between") {
    Live live("at-end");
    MongoLedger& ledger = *live.ledger;
    REQUIRE(ledger.Insert(Reserved("wd-2")).ok());
    const MongoOperationCounts before = live.store->operation_counts();
    REQUIRE(ledger.Transition("wd-2", BookingStatus::kReserved, 1, kCaptured).ok());
    REQUIRE(ledger.Transition("wd-2", BookingStatus::kReserved, 2, kConfirmed).ok());
    const MongoOperationCounts after = live.store->operation_counts();
    CHECK(after.inserts - before.inserts == 2);  // the two claims
    CHECK(after.updates - before.updates == 1);  // one write-down
    CHECK(after.finds - before.finds == 0);
    const nlohmann::json doc = live.Document("wd-2");
    CHECK(Version(doc) == 3);
    CHECK(doc["status"] == "CONFIRMED");
    CHECK(doc["auditLog"].size() == 3);
  }

  TEST_CASE("at-end: another driver's chain on top of this one's is caught up, not lost") {
    Live live("at-end");
    MongoLedger other(*live.store);  // a second process over the same database
    REQUIRE(live.ledger->Insert(Reserved("wd-3")).ok());
    // This process wins v1 -> v2 and defers it, then stops driving (its lease lapses).
    REQUIRE(live.ledger->Transition("wd-3", BookingStatus::kReserved, 1, kCaptured).ok());
    // The other wins v2 -> v3 (it read v2 through the claim) and then ends it.
    LedgerChange lease = kCaptured;
    lease.entry = LedgerEntry{"DRIVER", NowIso8601(), "taken"};
    lease.lease = Lease{"other", 2, NowUnixMillis() + 30'000};
    REQUIRE(other.Transition("wd-3", BookingStatus::kReserved, 2, lease).ok());
    REQUIRE(other.Transition("wd-3", BookingStatus::kReserved, 3, kConfirmed).ok());
    const nlohmann::json doc = live.Document("wd-3");
    CHECK(Version(doc) == 4);
    CHECK(doc["status"] == "CONFIRMED");
    REQUIRE(doc["auditLog"].size() == 4);
    CHECK(doc["auditLog"][1]["action"] == "CHARGE_CAPTURED");
    CHECK(doc["auditLog"][2]["action"] == "DRIVER");
    CHECK(doc["lease"]["owner"] == "other");
    // This process's stale chain writes nothing over it.
    CHECK(live.ledger->WriteDownPending().ok());
    CHECK(Version(live.Document("wd-3")) == 4);
  }

  TEST_CASE("at-end: WriteDownPending writes the chains of bookings left open") {
    Live live("at-end");
    REQUIRE(live.ledger->Insert(Reserved("wd-4")).ok());
    REQUIRE(live.ledger->Transition("wd-4", BookingStatus::kReserved, 1, kCaptured).ok());
    CHECK(Version(live.Document("wd-4")) == 1);
    REQUIRE(live.ledger->WriteDownPending().ok());
    const nlohmann::json doc = live.Document("wd-4");
    CHECK(Version(doc) == 2);
    CHECK(doc["payment"]["status"] == "CAPTURED");
  }

  TEST_CASE(
      "kOutcomeOwed, at-end: an end that owes waits; marking its outcome published writes it "
      "down, paid, in one update") {
    Live live("at-end");
    MongoLedger& ledger = *live.ledger;
    REQUIRE(ledger.Insert(Reserved("wd-6")).ok());
    LedgerChange owed = kConfirmed;
    owed.outcome_owed = true;
    REQUIRE(ledger.Transition("wd-6", BookingStatus::kReserved, 1, owed).ok());
    REQUIRE(Version(live.Document("wd-6")) == 1);
    const MongoOperationCounts before = live.store->operation_counts();
    REQUIRE(ledger.MarkOutcomePublished("wd-6", 2).ok());
    const MongoOperationCounts after = live.store->operation_counts();
    CHECK(after.total() - before.total() == 1);
    CHECK(after.updates - before.updates == 1);
    const nlohmann::json doc = live.Document("wd-6");
    CHECK(doc["outcomeOwed"] == false);
    CHECK(Version(doc) == 2);  // no new version: the same outcome's eventId
    auto read = ledger.Get("wd-6");
    REQUIRE((read.ok() && read->has_value()));
    CHECK_FALSE((*read)->outcome_owed);
    CHECK((*read)->status == BookingStatus::kConfirmed);
  }

  TEST_CASE(
      "kOutcomeOwed: a document behind its ending claim stays owing; its reader catches it "
      "up") {
    Live live("at-end");
    MongoLedger& ledger = *live.ledger;
    REQUIRE(ledger.Insert(Reserved("wd-7")).ok());
    // The ending claim won by another process that died before its
    // write-down: the claim alone, inserted as MongoLedger inserts it.
    LedgerChange owed = kConfirmed;
    owed.outcome_owed = true;
    REQUIRE(live.store
                ->InsertOne(ledger.ClaimsFor("wd-7"),
                            ClaimDocument("wd-7", BookingStatus::kReserved, 1, owed))
                .ok());
    REQUIRE(Version(live.Document("wd-7")) == 1);
    REQUIRE(ledger.MarkOutcomePublished("wd-7", 2).ok());  // nothing at version 2 yet
    auto read = ledger.Get("wd-7");                        // kReadsClaims
    REQUIRE((read.ok() && read->has_value()));
    CHECK((*read)->status == BookingStatus::kConfirmed);
    CHECK((*read)->outcome_owed);  // the reconciler publishes it again
    CHECK(live.Document("wd-7")["outcomeOwed"] == true);
  }

  TEST_CASE(
      "GetRecorded: two reads per collection whatever the lookup mode; a claim past its "
      "document is followed") {
    Live live("at-end", "presence-markers");
    MongoLedger& ledger = *live.ledger;
    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i) {
      ids.push_back("gr-" + std::to_string(i));
      REQUIRE(ledger.Insert(Reserved(ids.back())).ok());
    }
    // One record's claim is won and deferred (at-end): its document says v1.
    REQUIRE(ledger.Transition("gr-3", BookingStatus::kReserved, 1, kCaptured).ok());
    REQUIRE(Version(live.Document("gr-3")) == 1);
    std::set<std::string> collections;
    for (const auto& id : ids) collections.insert(live.ledger->CollectionFor(id));
    ids.push_back("gr-never");  // not recorded: absent from the answer
    const MongoOperationCounts before = live.store->operation_counts();
    auto read = ledger.GetRecorded(ids);
    const MongoOperationCounts after = live.store->operation_counts();
    REQUIRE_MESSAGE(read.ok(), read.status().ToString());
    CHECK(read->size() == 12);
    CHECK(read->count("gr-never") == 0);
    CHECK(read->at("gr-3").version == 2);  // kReadsClaims
    CHECK(read->at("gr-3").payment_status == PaymentStatus::kCaptured);
    CHECK(read->at("gr-7").version == 1);
    // Per collection the documents and the claims past them (no markers);
    // then gr-3's walk: its claim, the next (none), its write-down.
    const int64_t walk = 2;
    CHECK(after.finds - before.finds == 2 * static_cast<int64_t>(collections.size()) + walk);
    CHECK(after.inserts + after.bulk_inserts == before.inserts + before.bulk_inserts);
  }

  TEST_CASE(
      "TransitionMany: per collection one bulk of claims and one bulk write-down; a claimed "
      "version loses, a deferred chain is written with its end; owing ends wait for "
      "MarkOutcomesPublished, one bulk update per collection that writes them down paid") {
    Live live("at-end");
    MongoLedger& ledger = *live.ledger;
    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i) {
      ids.push_back("tm-" + std::to_string(i));
      REQUIRE(ledger.Insert(Reserved(ids.back())).ok());
    }
    // tm-3: a change of this process deferred (at-end); tm-5: version 1
    // claimed already by another driver, not yet written down.
    REQUIRE(ledger.Transition("tm-3", BookingStatus::kReserved, 1, kCaptured).ok());
    REQUIRE(live.store
                ->InsertOne(ledger.ClaimsFor("tm-5"),
                            ClaimDocument("tm-5", BookingStatus::kReserved, 1, kCaptured))
                .ok());
    // Even ids end owing their outcome, odd ones not.
    LedgerChange owed = kConfirmed;
    owed.outcome_owed = true;
    std::vector<LedgerTransition> ends;
    std::set<std::string> collections, owing_collections;
    for (size_t i = 0; i < ids.size(); ++i) {
      const bool owes = i % 2 == 0;
      ends.push_back(
          {ids[i], BookingStatus::kReserved, ids[i] == "tm-3" ? 2 : 1, owes ? owed : kConfirmed});
      collections.insert(ledger.CollectionFor(ids[i]));
      if (owes) owing_collections.insert(ledger.CollectionFor(ids[i]));
    }
    const MongoOperationCounts before = live.store->operation_counts();
    const std::vector<Status> answers = ledger.TransitionMany(ends);
    const MongoOperationCounts after = live.store->operation_counts();
    REQUIRE(answers.size() == ids.size());
    CHECK(after.bulk_inserts - before.bulk_inserts == static_cast<int64_t>(collections.size()));
    CHECK(after.updates - before.updates <= static_cast<int64_t>(collections.size()));
    std::vector<PublishedOutcome> published;
    for (size_t i = 0; i < ids.size(); ++i) {
      CAPTURE(ids[i]);
      if (ids[i] == "tm-5") {
        CHECK(answers[i].code() == StatusCode::kFailedPrecondition);
        CHECK(Version(live.Document("tm-5")) == 1);  // the other driver's to write down
        continue;
      }
      REQUIRE_MESSAGE(answers[i].ok(), answers[i].ToString());
      const int64_t ended_at = ids[i] == "tm-3" ? 3 : 2;
      const nlohmann::json doc = live.Document(ids[i]);
      if (i % 2 == 0) {
        CHECK(Version(doc) == 1);  // waits for its outcome
        published.push_back({ids[i], ended_at});
      } else {
        CHECK(doc["status"] == "CONFIRMED");
        CHECK(Version(doc) == ended_at);
      }
    }
    auto five = ledger.Get("tm-5");  // kReadsClaims: the winner's change
    REQUIRE((five.ok() && five->has_value()));
    CHECK((*five)->payment_status == PaymentStatus::kCaptured);

    const MongoOperationCounts before_mark = live.store->operation_counts();
    REQUIRE(ledger.MarkOutcomesPublished(published).ok());
    const MongoOperationCounts after_mark = live.store->operation_counts();
    CHECK(after_mark.updates - before_mark.updates ==
          static_cast<int64_t>(owing_collections.size()));
    CHECK(after_mark.total() - before_mark.total() ==
          static_cast<int64_t>(owing_collections.size()));
    for (const auto& p : published) {
      CAPTURE(p.booking_id);
      const nlohmann::json doc = live.Document(p.booking_id);
      CHECK(doc["status"] == "CONFIRMED");
      CHECK(doc["outcomeOwed"] == false);
      CHECK(Version(doc) == p.version);  // no new version: the same outcome's eventId
    }
    CHECK(live.Document("tm-3")["auditLog"].size() == 3);
  }

  TEST_CASE(
      "kOutcomeOwed, at-end: a reader wrote the owing end down first; the mark still clears "
      "it") {
    Live live("at-end");
    MongoLedger& ledger = *live.ledger;
    REQUIRE(ledger.Insert(Reserved("wd-9")).ok());
    LedgerChange owed = kConfirmed;
    owed.outcome_owed = true;
    REQUIRE(ledger.Transition("wd-9", BookingStatus::kReserved, 1, owed).ok());
    auto read = ledger.Get("wd-9");  // kReadsClaims, and a courtesy write-down
    REQUIRE((read.ok() && read->has_value()));
    CHECK((*read)->outcome_owed);
    REQUIRE(Version(live.Document("wd-9")) == 2);
    REQUIRE(live.Document("wd-9")["outcomeOwed"] == true);
    REQUIRE(ledger.MarkOutcomePublished("wd-9", 2).ok());
    CHECK(live.Document("wd-9")["outcomeOwed"] == false);
    CHECK(Version(live.Document("wd-9")) == 2);
    CHECK(live.Document("wd-9")["auditLog"].size() == 2);
  }

  TEST_CASE(
      "SummarizeProperties reads the claims past an open document: an owing end not yet "
      "written down is answered ended") {
    Live live("at-end");
    MongoLedger& ledger = *live.ledger;
    for (const char* id : {"sp-1", "sp-2", "sp-3"}) REQUIRE(ledger.Insert(Reserved(id)).ok());
    LedgerChange owed = kConfirmed;
    owed.outcome_owed = true;
    REQUIRE(ledger.Transition("sp-1", BookingStatus::kReserved, 1, owed).ok());       // waits
    REQUIRE(ledger.Transition("sp-2", BookingStatus::kReserved, 1, kCaptured).ok());  // open
    REQUIRE(Version(live.Document("sp-1")) == 1);
    auto summaries = ledger.SummarizeProperties({"prop-wd"});
    REQUIRE_MESSAGE(summaries.ok(), summaries.status().ToString());
    std::map<std::string, BookingStatus> status;
    for (const BookingSummary& b : summaries->at("prop-wd")) status[b.booking_id] = b.status;
    CHECK(status.at("sp-1") == BookingStatus::kConfirmed);
    CHECK(status.at("sp-2") == BookingStatus::kReserved);
    CHECK(status.at("sp-3") == BookingStatus::kReserved);
  }

  TEST_CASE("kOutcomeOwed, immediate: the end written down owing, the mark clears the flag") {
    Live live("immediate");
    MongoLedger& ledger = *live.ledger;
    REQUIRE(ledger.Insert(Reserved("wd-8")).ok());
    LedgerChange owed = kConfirmed;
    owed.outcome_owed = true;
    REQUIRE(ledger.Transition("wd-8", BookingStatus::kReserved, 1, owed).ok());
    REQUIRE(live.Document("wd-8")["outcomeOwed"] == true);
    REQUIRE(ledger.MarkOutcomePublished("wd-8", 2).ok());
    CHECK(live.Document("wd-8")["outcomeOwed"] == false);
    CHECK(Version(live.Document("wd-8")) == 2);
  }

  TEST_CASE("immediate: every change is written down as it is won") {
    Live live("immediate");
    REQUIRE(live.ledger->Insert(Reserved("wd-5")).ok());
    REQUIRE(live.ledger->Transition("wd-5", BookingStatus::kReserved, 1, kCaptured).ok());
    CHECK(Version(live.Document("wd-5")) == 2);
    REQUIRE(live.ledger->Transition("wd-5", BookingStatus::kReserved, 2, kConfirmed).ok());
    CHECK(Version(live.Document("wd-5")) == 3);
  }
}

}  // namespace
}  // namespace wanderluxe
