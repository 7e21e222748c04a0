// The Mongo ledger spread over shard collections, against the live FerretDB:
// one booking always in one collection, reads by property and by age see every
// shard, and the compare-and-set still refuses a stale version.
#include <doctest/doctest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "adapters/mongo/mongo_ledger.h"
#include "support/servers.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

BookingRecord Record(const std::string& id, const std::string& property, BookingStatus status,
                     const std::string& updated_at) {
  BookingRecord r;
  r.request = {id, property, "user-1", {500000, "USD"}, "", ""};
  r.fingerprint = r.request.Fingerprint();
  r.status = status;
  r.created_at = updated_at;
  r.updated_at = updated_at;
  r.audit_log = {{"PENDING", updated_at, "test"}};
  return r;
}

TEST_SUITE("integration.ledger") {
  TEST_CASE("a sharded ledger: stable placement, reads across every shard, compare-and-set") {
    const std::string db = testing::UniqueName("ledger");
    Config config = testing::LiveConfig({"mongo.database=" + db, "mongo.ledger_shards=8"});
    auto store = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString(), " -- start it with scripts/stack up");
    MongoLedger ledger(**store);
    const std::string property = testing::UniqueName("prop");

    std::set<std::string> collections, with_open;
    for (int i = 0; i < 40; ++i) {
      const std::string id = "b-" + std::to_string(i);
      CHECK(ledger.CollectionFor(id) ==
            ledger.CollectionFor(id));  // placement is a function of the id
      collections.insert(ledger.CollectionFor(id));
      // Ages from 40 minutes down to 1: b-0 is the oldest.
      const auto status = i % 2 == 0 ? BookingStatus::kReserved : BookingStatus::kSoldOut;
      if (!IsTerminal(status)) with_open.insert(ledger.CollectionFor(id));
      REQUIRE(ledger
                  .Insert(Record(id, property, status,
                                 IsoFromUnixMillis(NowUnixMillis() - (40 - i) * 60'000)))
                  .ok());
    }
    CHECK(collections.size() > 4);  // 40 ids over 8 shards use most of them

    auto statuses = ledger.StatusByBooking(property);
    REQUIRE(statuses.ok());
    CHECK(statuses->size() == 40);
    CHECK(statuses->at("b-0") == BookingStatus::kReserved);
    CHECK(statuses->at("b-1") == BookingStatus::kSoldOut);

    auto counts = ledger.CountByStatus(property);
    REQUIRE(counts.ok());
    CHECK((*counts)[BookingStatus::kReserved] == 20);
    CHECK((*counts)[BookingStatus::kSoldOut] == 20);
    auto reserved = ledger.IdsWithStatus(property, BookingStatus::kReserved);
    REQUIRE(reserved.ok());
    CHECK(reserved->size() == 20);

    // verify's one pass: the same bookings, by property, a property with
    // none present and empty; one read per shard, and one of the claims
    // past the open bookings of each shard holding any (kReadsClaims).
    const MongoOperationCounts before = (*store)->operation_counts();
    auto summaries = ledger.SummarizeProperties({property, "prop-without-bookings"});
    REQUIRE_MESSAGE(summaries.ok(), summaries.status().ToString());
    CHECK((*store)->operation_counts().finds - before.finds ==
          8 + static_cast<int64_t>(with_open.size()));
    CHECK(summaries->at("prop-without-bookings").empty());
    const std::vector<BookingSummary>& of_property = summaries->at(property);
    REQUIRE(of_property.size() == 40);
    for (const BookingSummary& b : of_property) {
      CAPTURE(b.booking_id);
      CHECK(b.status == statuses->at(b.booking_id));
      CHECK_FALSE(b.waited);
    }

    // Only non-terminal bookings, the oldest first across shards, at most the limit.
    auto stale = ledger.FindStale(NowIso8601(), 5);
    REQUIRE(stale.ok());
    REQUIRE(stale->size() == 5);
    const std::vector<std::string> oldest = {"b-0", "b-2", "b-4", "b-6", "b-8"};
    for (size_t i = 0; i < oldest.size(); ++i) CHECK((*stale)[i].request.booking_id == oldest[i]);

    LedgerChange confirm{BookingStatus::kConfirmed,
                         PaymentStatus::kCaptured,
                         "txn-1",
                         LedgerEntry{"CONFIRMED", NowIso8601(), "test"},
                         std::nullopt,
                         ""};
    CHECK(ledger.Transition("b-0", BookingStatus::kReserved, 1, confirm).ok());
    CHECK(ledger.Transition("b-0", BookingStatus::kReserved, 1, confirm).code() ==
          StatusCode::kFailedPrecondition);
    auto b0 = ledger.Get("b-0");
    REQUIRE((b0.ok() && b0->has_value()));
    CHECK((*b0)->status == BookingStatus::kConfirmed);
    CHECK((*b0)->version == 2);
    CHECK(ledger.Insert(Record("b-0", property, BookingStatus::kReserved, NowIso8601())).code() ==
          StatusCode::kAlreadyExists);
    CHECK(ledger.DropAll().ok());
  }

  // Issue 15: a WAITLISTED booking is non-terminal. The reconciler finds it
  // by FindStale to time it out (saga.waitlist_timeout_ms) and I5 names it
  // when it stays: FindStale must return it like PENDING and RESERVED.
  TEST_CASE("a stale WAITLISTED booking is found by FindStale") {
    const std::string db = testing::UniqueName("stale-wl");
    Config config = testing::LiveConfig({"mongo.database=" + db, "mongo.ledger_shards=4"});
    auto store = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString(), " -- start it with scripts/stack up");
    MongoLedger ledger(**store);
    const std::string property = testing::UniqueName("prop");
    const std::string an_hour_ago = IsoFromUnixMillis(NowUnixMillis() - 3'600'000);
    BookingRecord waiting = Record("wl-1", property, BookingStatus::kWaitlisted, an_hour_ago);
    waiting.payment_status = PaymentStatus::kNotAttempted;
    waiting.waitlist_position = 3;
    REQUIRE(ledger.Insert(waiting).ok());
    REQUIRE(ledger.Insert(Record("so-1", property, BookingStatus::kSoldOut, an_hour_ago)).ok());
    auto stale = ledger.FindStale(NowIso8601(), 100);
    REQUIRE(stale.ok());
    std::vector<std::string> ids;
    for (const auto& r : *stale) ids.push_back(r.request.booking_id);
    CHECK(ids == std::vector<std::string>{"wl-1"});
    if (!stale->empty()) CHECK(stale->front().waitlist_position == 3);
    CHECK(ledger.DropAll().ok());
  }

  // The reconciler's scan runs every processor.reconcile_interval_s over every
  // shard. FerretDB evaluates an equality on a string field in SQL, and any
  // other filter (a `$in`) by decoding every document itself: the old `$in`
  // over the three non-terminal statuses decoded every record of the ledger on
  // each pass, during a herd's drain. Each of FindStale's filters must be pushed down.
  TEST_CASE("FindStale's filters are evaluated by FerretDB in SQL, not by decoding every record") {
    const std::string db = testing::UniqueName("stale-pd");
    Config config = testing::LiveConfig({"mongo.database=" + db, "mongo.ledger_shards=2"});
    auto store = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString(), " -- start it with scripts/stack up");
    MongoLedger ledger(**store);
    const std::string shard = ledger.CollectionFor("any-booking");
    REQUIRE(ledger.Insert(Record("any-booking", "p", BookingStatus::kReserved, NowIso8601())).ok());
    auto pushed_down = [&](const std::string& filter) {
      auto explained = (*store)->ExplainFind(shard, filter);
      REQUIRE_MESSAGE(explained.ok(), explained.status().ToString());
      const auto reply = nlohmann::json::parse(*explained);
      REQUIRE_MESSAGE(reply.contains("filterPushdown"),
                      "not FerretDB's explain (the stack runs FerretDB 1.x): ", *explained);
      return reply["filterPushdown"].get<bool>();
    };
    const auto filters = MongoLedger::StaleFilters(NowIso8601());
    CHECK(filters.size() == 3);  // WAITLISTED, RESERVED, and kOutcomeOwed
    for (const std::string& filter : filters) CHECK_MESSAGE(pushed_down(filter), filter);
    // The reason for a query per status: one `$in` is not pushed down.
    CHECK_FALSE(pushed_down(
        R"({"status":{"$in":["PENDING","WAITLISTED","RESERVED"]},"updatedAt":{"$lt":"9"}})"));
    CHECK(ledger.DropAll().ok());
  }

  // A transition carrying a waitlist place records it, which GET shows
  // (admission inserts the place with the record).
  TEST_CASE("a transition to WAITLISTED records the place") {
    const std::string db = testing::UniqueName("wl-place");
    Config config = testing::LiveConfig({"mongo.database=" + db, "mongo.ledger_shards=4"});
    auto store = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString(), " -- start it with scripts/stack up");
    MongoLedger ledger(**store);
    const std::string property = testing::UniqueName("prop");
    REQUIRE(ledger.Insert(Record("p-1", property, BookingStatus::kPending, NowIso8601())).ok());
    LedgerChange wait{BookingStatus::kWaitlisted,
                      PaymentStatus::kNotAttempted,
                      "",
                      LedgerEntry{"WAITLISTED", NowIso8601(), "test"},
                      std::nullopt,
                      ""};
    wait.waitlist_position = 7;
    REQUIRE(ledger.Transition("p-1", BookingStatus::kPending, 1, wait).ok());
    auto waiting = ledger.Get("p-1");
    REQUIRE((waiting.ok() && waiting->has_value()));
    CHECK((*waiting)->status == BookingStatus::kWaitlisted);
    CHECK((*waiting)->waitlist_position == 7);
    CHECK(ledger.DropAll().ok());
  }

  // Defect 2 of issue 11: FerretDB runs a filtered update as a read, then a
  // write by _id, so two racers could both "win" the same version. Eight
  // threads race for every version of a few documents: each version must have
  // exactly one winner, and the document must end at 1 + the number of wins.
  TEST_CASE("compare-and-set: 8 threads x 250 racing transitions, one winner per version") {
    const std::string db = testing::UniqueName("cas");
    // The local stack's shard count: each document and its claims in a collection of their own.
    Config config = testing::LiveConfig({"mongo.database=" + db, "mongo.ledger_shards=64"});
    auto store = MongoStore::Connect(config.mongo);
    REQUIRE_MESSAGE(store.ok(), store.status().ToString(), " -- start it with scripts/stack up");
    MongoLedger ledger(**store);
    const std::string property = testing::UniqueName("prop");
    constexpr int kDocuments = 16;
    constexpr int kThreads = 8;
    // Each win appends to its document's log, so a document's cost grows with
    // its versions: 250 rounds over 16 documents race every version 8 ways
    // without making the later rounds measure document size.
    constexpr int kAttemptsPerThread = 250;
    for (int d = 0; d < kDocuments; ++d) {
      REQUIRE(ledger
                  .Insert(Record("cas-" + std::to_string(d), property, BookingStatus::kReserved,
                                 NowIso8601()))
                  .ok());
    }
    std::mutex mu;
    std::map<std::pair<std::string, int64_t>, std::vector<int>>
        winners;  // (id, version) -> threads
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kAttemptsPerThread; ++i) {
          const std::string id = "cas-" + std::to_string(i % kDocuments);
          auto current = ledger.Get(id);
          if (!current.ok() || !current->has_value()) {
            ++errors;
            continue;
          }
          const int64_t version = (*current)->version;
          LedgerChange change{BookingStatus::kReserved,
                              PaymentStatus::kPending,
                              "",
                              LedgerEntry{"RACE", NowIso8601(), "thread " + std::to_string(t)},
                              std::nullopt,
                              ""};
          Status s = ledger.Transition(id, BookingStatus::kReserved, version, change);
          if (s.ok()) {
            std::lock_guard lock(mu);
            winners[{id, version}].push_back(t);
          } else if (s.code() != StatusCode::kFailedPrecondition) {
            ++errors;
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    CHECK(errors.load() == 0);
    int64_t doubled = 0;
    int64_t wins = 0;
    for (const auto& [key, threads_won] : winners) {
      wins += static_cast<int64_t>(threads_won.size());
      if (threads_won.size() > 1) ++doubled;
    }
    const int attempts = kThreads * kAttemptsPerThread;
    MESSAGE(attempts, " attempts, ", wins, " wins, ", doubled, " versions won more than once");
    CHECK(doubled == 0);
    for (int d = 0; d < kDocuments; ++d) {
      const std::string id = "cas-" + std::to_string(d);
      auto final_record = ledger.Get(id);
      REQUIRE((final_record.ok() && final_record->has_value()));
      int64_t doc_wins = 0;
      for (const auto& [key, threads_won] : winners) {
        if (key.first == id) doc_wins += static_cast<int64_t>(threads_won.size());
      }
      CHECK((*final_record)->version == 1 + doc_wins);  // every win moved it exactly once
      CHECK(static_cast<int64_t>((*final_record)->audit_log.size()) == 1 + doc_wins);
      for (int64_t v = 1; v < (*final_record)->version; ++v) CHECK(winners.count({id, v}) == 1);
    }
    CHECK(ledger.DropAll().ok());
  }
}

}  // namespace
}  // namespace wanderluxe
