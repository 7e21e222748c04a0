// Ledger over MongoDB / FerretDB: collection `bookings`, `_id` = bookingId.
// No multi-document transactions are needed (FerretDB 1.x has none).
//
// The compare-and-set is a claim, not a filtered update: FerretDB 1.x runs
// `update({_id, status, version})` as a read and then a separate write, so two
// racers can both match. An insert is atomic on both servers (the unique _id),
// so a transition from version v first inserts the claim document
// `<bookingId>#<v>` into `booking_claims`, carrying the change: the one
// insert that succeeds is the one winner, and the claim is the commit point.
// The winner then writes the change onto the booking's document (by _id and
// version): at once, or (kWriteDownAtEnd, mongo.write_down: at-end) with the
// change that ends the booking, in one update. Get and GetMany follow the
// claims past the document's version and write them down (kReadsClaims), so a
// won transition is never stranded, whether its winner deferred its write or
// died before it. Claims are immutable and chain version by version.
//
// With `mongo.ledger_shards` = k > 1 the documents live in `bookings_00` ..
// `bookings_<k-1>`, chosen by a stable hash of the bookingId: one booking is
// always in one collection, so every guarantee above holds per collection.
// Reads by property or status visit every shard.
//
// Batches (Ledger::GetMany, InsertMany) by `mongo.ledger_lookup`: "in" reads
// each collection once with `_id: {$in: ...}`; "presence-markers" (FerretDB
// 1.x, which answers `$in` by reading the whole collection) keeps one
// document `{_id: bookingId}` in `booking_presence` for every id ever looked
// up or inserted. kPresence: a booking's marker is written before its record,
// so an id whose marker GetMany inserts anew has no record; the few others
// are read one by one.
//
// The layout (shard count, lookup) is recorded in `ledger_layout` at first
// use and a ledger opened with another is refused (RecordLayout): with another
// shard count every booking would be looked for in the wrong collection,
// hiding it and breaking idempotency by bookingId.
#ifndef WANDERLUXE_ADAPTERS_MONGO_MONGO_LEDGER_H_
#define WANDERLUXE_ADAPTERS_MONGO_MONGO_LEDGER_H_

#include <deque>
#include <functional>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "adapters/mongo/mongo_store.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/ledger.h"
#include "wanderluxe/ports/ledger_audit.h"

namespace wanderluxe {

inline constexpr const char* kBookingsCollection = "bookings";
inline constexpr const char* kClaimsCollection = "booking_claims";
inline constexpr const char* kPresenceCollection = "booking_presence";
inline constexpr const char* kLayoutCollection = "ledger_layout";
// Claims Get follows past a booking's document before it calls the ledger
// corrupt (a booking makes a handful of transitions in its life).
inline constexpr int kMaxClaimsAhead = 64;
// Shards' operations of one InsertMany or GetRecorded in flight at once:
// within the Mongo pool (mongo.pool_max, at least 1) and a few per core.
inline constexpr size_t kParallelShardBulks = 8;
// Ids this process marked present lately, remembered so that InsertMany does
// not write their markers again: FerretDB refuses a duplicate key slowly,
// one by one, so a batch of known ids would cost more than its reads.
inline constexpr size_t kRememberedMarks = 65'536;
// Bookings whose won changes this process keeps to write down later
// (kWriteDownAtEnd); past it the oldest chains are left to the readers.
inline constexpr size_t kMaxPendingWriteDowns = 65'536;

// When a won claim's change is written onto the booking's document.
enum class WriteDownMode {
  kImmediate,  // right after every claim
  kAtEnd,      // kWriteDownAtEnd: a change that leaves the booking open
               // waits for the next; the document is written when the
               // booking ends (or the process stops), once per drive
};

class MongoLedger final : public Ledger, public LedgerAudit {
 public:
  explicit MongoLedger(MongoStore& store);

  // {propertyId:1, status:1}, {userId:1}, {status:1, updatedAt:1}; safe to repeat.
  Status EnsureIndexes();
  // Records this ledger's layout in the database at first use; afterwards
  // kFailedPrecondition, naming both, when the database holds another one.
  Status RecordLayout();
  // Drops every shard and its claims (benchmarks clean up after themselves).
  Status DropAll();
  // kWriteDownAtEnd: writes down every change this process deferred (the
  // processor calls it once its drives have stopped). The first error, if
  // any; what is left unwritten is caught up by the next reader.
  Status WriteDownPending() EXCLUDES(pending_mu_);
  // The collection that holds `booking_id`.
  const std::string& CollectionFor(const std::string& booking_id) const;
  // The claims collection of `booking_id`'s shard.
  const std::string& ClaimsFor(const std::string& booking_id) const;

  Status Insert(const BookingRecord& record) override;
  Result<std::optional<BookingRecord>> Get(const std::string& booking_id) override;
  Result<std::map<std::string, BookingRecord>> GetMany(
      const std::vector<std::string>& booking_ids) override;
  Result<std::map<std::string, BookingRecord>> GetRecorded(
      const std::vector<std::string>& booking_ids) override;
  Result<std::vector<InsertOutcome>> InsertMany(const std::vector<BookingRecord>& records) override;
  Status Transition(const std::string& booking_id, BookingStatus from, int64_t version,
                    const LedgerChange& change) override;
  // One update of the document: with kWriteDownAtEnd an end that owes waits
  // in this process and is written down here, debt paid; otherwise the flag
  // alone, filtered on the version (a document still behind its ending
  // claim, another process's, is left owing: its reader writes the claim
  // down and the reconciler publishes again).
  Status MarkOutcomePublished(const std::string& booking_id, int64_t version) override;
  // Per shard (eight at once) one bulk of claims, then one bulk update
  // writing down the won changes Transition would write down now; a
  // write-down that does not land is caught up by the next reader.
  std::vector<Status> TransitionMany(const std::vector<LedgerTransition>& transitions) override;
  // Per shard (eight at once) one bulk of MarkOutcomePublished's updates.
  Status MarkOutcomesPublished(const std::vector<PublishedOutcome>& published) override;
  Result<std::vector<BookingRecord>> FindStale(const std::string& updated_before,
                                               int64_t limit) override;
  // FindStale's filters, one per non-terminal status and one for a booking
  // that still owes its outcome (kOutcomeOwed): each an equality (which
  // FerretDB evaluates in SQL) and the time bound (which it then checks on
  // the few rows that match). One `$in` over the statuses is
  // evaluated by FerretDB itself, decoding every document of every shard on
  // every reconcile pass, CPU taken from the drain (DESIGN.md, "Poison,
  // parking, the reconciler, shutdown").
  static std::vector<std::string> StaleFilters(const std::string& updated_before);
  // One `$in` read of every collection (eight at once), the fields it needs;
  // where open bookings are found, one read of the claims past them, and a
  // Get of each booking whose claims run ahead (kReadsClaims).
  Result<std::map<std::string, std::vector<BookingSummary>>> SummarizeProperties(
      const std::vector<std::string>& property_ids) override;
  Result<std::map<BookingStatus, int64_t>> CountByStatus(const std::string& property_id) override;
  Result<std::vector<std::string>> IdsWithStatus(const std::string& property_id,
                                                 BookingStatus status) override;
  Result<std::map<std::string, BookingStatus>> StatusByBooking(
      const std::string& property_id) override;
  Result<std::vector<std::string>> WaitedAndSoldOut(const std::string& property_id,
                                                    int64_t limit) override;

 private:
  // Every shard's documents matching `filter`, one shard after another.
  Result<std::vector<std::string>> FindEverywhere(const std::string& filter,
                                                  const std::string& sort, int64_t limit,
                                                  const std::string& projection = "");

  size_t ShardOf(const std::string& booking_id) const;
  // The shards `booking_ids` fall in, each with the positions of its ids.
  struct ShardGroup {
    size_t shard;
    std::vector<size_t> positions;
  };
  std::vector<ShardGroup> GroupByShard(const std::vector<std::string>& booking_ids) const;
  // Those of `booking_ids` recorded: per collection one `$in` read of the
  // documents and one of the claims past them (GetMany's "in", GetRecorded).
  Result<std::map<std::string, BookingRecord>> FindIn(const std::vector<std::string>& booking_ids);
  Result<std::vector<BookingRecord>> FindInShard(size_t shard, const std::vector<std::string>& ids);
  // One shard's part of SummarizeProperties, by property.
  Result<std::vector<std::pair<std::string, BookingSummary>>> SummarizeShard(
      size_t shard, const std::vector<std::string>& property_ids);
  // Runs work(0) .. work(n - 1), one per shard, on up to kParallelShardBulks
  // threads (the caller's among them): concurrent operations share
  // FerretDB's commits and round trips.
  static void OnShardsAtOnce(size_t n, const std::function<void(size_t)>& work);
  bool UsesPresenceMarkers() const;
  // kPresence: writes the markers of `ids`; per id, true when it is new.
  Result<std::vector<bool>> MarkPresent(const std::vector<std::string>& ids);
  void RememberMarked(const std::vector<std::string>& ids) EXCLUDES(marks_mu_);
  // Those of `ids` not known to be marked already.
  std::vector<std::string> NotMarked(const std::vector<std::string>& ids) EXCLUDES(marks_mu_);
  // Brings `record`, as its document says, up to its claims: each claim past
  // the document's version is applied (and written down, as a courtesy).
  Status CatchUp(BookingRecord& record);
  // Writes `changes` onto the booking's document, if it is still at
  // `version`; `*matched` (when given) says whether it was.
  Status WriteDown(const std::string& booking_id, int64_t version,
                   const std::vector<LedgerChange>& changes, bool* matched);
  // Writes a won change down with the changes deferred before it, in one
  // update; a document not where this process left it is caught up instead.
  Status WriteDownChain(const std::string& booking_id, int64_t version, const LedgerChange& change)
      EXCLUDES(pending_mu_);
  // The update WriteDownChain makes: from the version this process left the
  // document at, the deferred changes and `change`.
  struct ChainUpdate {
    int64_t from;
    std::vector<LedgerChange> changes;
  };
  ChainUpdate ChainTo(const std::string& booking_id, int64_t version, const LedgerChange& change)
      EXCLUDES(pending_mu_);
  // A claim lost to another driver: drops this process's chain for the
  // booking and answers kFailedPrecondition.
  Status LostClaim(const std::string& booking_id, BookingStatus from, int64_t version)
      EXCLUDES(pending_mu_);
  // kWriteDownAtEnd: whether a won change waits in this process (Defer)
  // rather than being written down now.
  bool WaitsToBeWrittenDown(const LedgerChange& change) const;
  // kOutcomeOwed: the update that clears a published outcome's debt. When
  // this process holds the booking's deferred chain up to that version, the
  // chain itself, written down with the debt paid (`writes_down`); else the
  // flag alone, on the document at that version.
  struct FilteredUpdate {
    std::string filter;
    std::string update;
    bool writes_down;
  };
  FilteredUpdate PaidUpdate(const PublishedOutcome& published) EXCLUDES(pending_mu_);
  // A chain's paid update that matched nothing: Get (which writes the claims
  // down), then the flag alone.
  Status CatchUpAndMark(const PublishedOutcome& published);

  // A booking's changes this process won and deferred: its document is at
  // `version` (as far as this process knows), and `changes` take it on.
  struct PendingWriteDown {
    int64_t version = 0;
    std::vector<LedgerChange> changes;
    uint64_t seq = 0;  // names this chain in pending_order_
  };
  void Defer(const std::string& booking_id, int64_t version, const LedgerChange& change)
      EXCLUDES(pending_mu_);
  std::optional<PendingWriteDown> TakePending(const std::string& booking_id) EXCLUDES(pending_mu_);

  MongoStore& store_;
  std::vector<std::string> collections_;  // one per shard
  std::vector<std::string> claims_;       // the claims of each shard's bookings
  Mutex marks_mu_;
  // At most kRememberedMarks ids, oldest first; a forgotten one is only marked again.
  std::deque<std::string> marked_order_ GUARDED_BY(marks_mu_);
  std::unordered_set<std::string> marked_ GUARDED_BY(marks_mu_);
  const WriteDownMode write_down_;
  Mutex pending_mu_;
  std::unordered_map<std::string, PendingWriteDown> pending_ GUARDED_BY(pending_mu_);
  // Chains oldest first, by (bookingId, seq); entries of chains since taken are skipped.
  std::deque<std::pair<std::string, uint64_t>> pending_order_ GUARDED_BY(pending_mu_);
  uint64_t pending_seq_ GUARDED_BY(pending_mu_) = 0;
};

// The document form of a record, and back (exposed for tests).
std::string BookingDocument(const BookingRecord& record);
Result<BookingRecord> ParseBookingDocument(const std::string& json);
// A claim's change, and back (exposed for tests).
std::string ClaimDocument(const std::string& booking_id, BookingStatus from, int64_t version,
                          const LedgerChange& change);
struct Claim {
  BookingStatus from;
  LedgerChange change;
};
Result<Claim> ParseClaimDocument(const std::string& json);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_MONGO_MONGO_LEDGER_H_
