// The saga's ports in the simulated world, each call a scheduling point and
// a place the seed may put a fault. None is stronger than its real engine:
//
//   SimInventory  one Redis script: atomic, and nothing more. A reply may be
//                 lost after the script ran.
//   SimLedger     the claim-based ledger on FerretDB: a transition is a
//                 claim insert (the commit point, one winner per version)
//                 and then a separate write-down of the document, which may
//                 fail and leave the document behind its claims; Get reads
//                 the claims past it, one call each (kReadsClaims). Atomic
//                 per document, never across documents; a bulk insert may
//                 stop half way.
//   SimBank       idempotent by key; a charge may land and its answer be
//                 lost; a void of a settled capture is refused (CAPTURED).
//   SimViews      the status views' Redis script: atomic and monotonic by
//                 version; a put may fail first, or land and lose its reply.
//   SimProducer   a publish may fail before it is written, find its topic
//                 missing, or be written and its acknowledgement lost. It
//                 notes the booking's view at each write (kViewBeforeOutcome).
//
// Every call takes a simulated latency first and may freeze its caller past
// its lease (a paused process), as the world's Faults say.
//
// Thread safety: none; the simulator runs on one thread (sim/scheduler.h).
#ifndef WANDERLUXE_TESTS_SIM_SIM_PORTS_H_
#define WANDERLUXE_TESTS_SIM_SIM_PORTS_H_

#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/scheduler.h"
#include "wanderluxe/ports/bank.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/ports/inventory_store.h"
#include "wanderluxe/ports/ledger.h"
#include "wanderluxe/ports/ledger_audit.h"
#include "wanderluxe/ports/status_views.h"

namespace wanderluxe::sim {

// What may go wrong in one world, chosen by its seed. Rates are per mille
// of calls.
struct FaultPlan {
  int64_t error = 0;       // the call fails before it takes effect
  int64_t lost_reply = 0;  // the call takes effect and its answer is lost
  int64_t slow = 0;        // the answer takes up to the call's bound
  int64_t freeze = 0;      // the caller's process pauses past its lease
  int64_t freeze_ms = 0;   // how long a pause lasts at most
  int64_t lag = 0;         // a won claim's write-down fails (SimLedger)
  int64_t decline = 0;     // the bank declines a charge
  int64_t settle = 0;      // a capture is settled at once: its void is refused
  int64_t missing_topic = 0;
  bool enabled = true;  // off while the world settles at the end
};

// The scheduling point and fault draw every simulated call starts with.
class Calls {
 public:
  Calls(Scheduler& scheduler, FaultPlan& plan) : scheduler_(scheduler), plan_(plan) {}

  // A scheduling point after a latency of up to `bound_ms` (usually a few
  // ms); the caller may be frozen first.
  void Enter(const char* point, const std::string& detail, int64_t bound_ms);
  // True when the seed puts `kind` (a FaultPlan rate) here; noted as a fault point.
  bool Fault(const char* point, const char* kind, int64_t rate);
  Scheduler& scheduler() { return scheduler_; }
  FaultPlan& plan() { return plan_; }
  // Every (point, kind) a fault was put at, in every world of this process.
  static std::set<std::string>& FaultPoints();

 private:
  Scheduler& scheduler_;
  FaultPlan& plan_;
};

class SimInventory final : public InventoryStore {
 public:
  explicit SimInventory(Calls& calls) : calls_(calls) {}
  void Seed(const std::string& property, int64_t units, WaitlistPolicy waitlist);
  // `wanderluxe seed` mid-sale, as its script (RedisInventoryStore::Seed,
  // not forced): the total becomes `units`; units beyond those held and sold
  // go to the head of the waitlist first (handed over, in the answer), the
  // rest to `available`. Refused (kFailedPrecondition) below held + sold.
  Result<std::vector<std::string>> Restock(const std::string& property, int64_t units);

  Result<Reservation> Reserve(const std::string& property_id,
                              const std::string& booking_id) override;
  Result<std::vector<Reservation>> ReserveBatch(
      const std::string& property_id, const std::vector<std::string>& booking_ids) override;
  Result<Released> Release(const std::string& property_id, const std::string& booking_id) override;
  Result<Confirmed> Confirm(const std::string& property_id, const std::string& booking_id) override;
  Result<WaitlistState> CheckWaitlist(const std::string& property_id, const std::string& booking_id,
                                      std::chrono::milliseconds max_wait) override;
  Result<InventoryLevels> Levels(const std::string& property_id) override;

  struct Property {
    int64_t total = 0;
    int64_t available = 0;
    std::set<std::string> holds, sold;
    std::deque<std::pair<std::string, int64_t>> waiting;  // (booking, joined at ms)
    std::set<std::string> waited_out;   // left after waiting saga.waitlist_timeout_ms
    std::set<std::string> turned_away;  // removed by the sale of the last unit there was
    WaitlistPolicy waitlist;
  };
  const std::map<std::string, Property>& properties() const { return properties_; }

 private:
  // The call's fate before its effect: an error, or OK to go on.
  Status Before(const char* point, const std::string& id);
  // After its effect: the answer, or a lost reply.
  Status After(const char* point);
  Reservation ReserveNow(Property& p, const std::string& booking_id);

  Calls& calls_;
  std::map<std::string, Property> properties_;
};

class SimLedger final : public Ledger, public LedgerAudit {
 public:
  explicit SimLedger(Calls& calls) : calls_(calls) {}

  Status Insert(const BookingRecord& record) override;
  Result<std::optional<BookingRecord>> Get(const std::string& booking_id) override;
  Result<std::map<std::string, BookingRecord>> GetMany(
      const std::vector<std::string>& booking_ids) override;
  Result<std::map<std::string, BookingRecord>> GetRecorded(
      const std::vector<std::string>& booking_ids) override;
  Result<std::vector<InsertOutcome>> InsertMany(const std::vector<BookingRecord>& records) override;
  Status Transition(const std::string& booking_id, BookingStatus from, int64_t version,
                    const LedgerChange& change) override;
  Status MarkOutcomePublished(const std::string& booking_id, int64_t version) override;
  std::vector<Status> TransitionMany(const std::vector<LedgerTransition>& transitions) override;
  Status MarkOutcomesPublished(const std::vector<PublishedOutcome>& published) override;
  Result<std::vector<BookingRecord>> FindStale(const std::string& updated_before,
                                               int64_t limit) override;
  Result<std::map<std::string, std::vector<BookingSummary>>> SummarizeProperties(
      const std::vector<std::string>& property_ids) override;
  Result<std::map<BookingStatus, int64_t>> CountByStatus(const std::string& property_id) override;
  Result<std::vector<std::string>> IdsWithStatus(const std::string& property_id,
                                                 BookingStatus status) override;
  Result<std::map<std::string, BookingStatus>> StatusByBooking(
      const std::string& property_id) override;
  Result<std::vector<std::string>> WaitedAndSoldOut(const std::string& property_id,
                                                    int64_t limit) override;

  // The booking as its claims say, whatever its document says: the truth
  // the checker judges.
  std::map<std::string, BookingRecord> Truth() const;

 private:
  struct Claim {
    BookingStatus from;
    LedgerChange change;
  };
  // kReadsClaims: applies the claims past the document to `record`, each a
  // read of its own, and writes them down unless the seed says the
  // write-down fails.
  Status CatchUp(BookingRecord& record);
  // Each of `ids` recorded, caught up: GetMany's and GetRecorded's answer.
  Result<std::map<std::string, BookingRecord>> ReadMany(const std::vector<std::string>& ids);
  void WriteDown(const std::string& booking_id, int64_t version, const LedgerChange& change);
  // The claim's insert and, when it wins, its write-down (which the seed
  // may make lag): false when the version was claimed already.
  bool ClaimAndWriteDown(const LedgerTransition& t);
  void Mark(const std::string& booking_id, int64_t version);

  Calls& calls_;
  std::map<std::string, BookingRecord> documents_;
  std::map<std::pair<std::string, int64_t>, Claim> claims_;  // (booking, from version)
};

class SimBank final : public Bank {
 public:
  explicit SimBank(Calls& calls) : calls_(calls) {}

  ChargeResult Charge(const std::string& key, const Money& amount,
                      std::chrono::milliseconds timeout) override;
  Result<ChargeState> Void(const std::string& key, std::chrono::milliseconds timeout) override;

  struct Account {
    ChargeState state = ChargeState::kNone;
    bool settled = false;  // a settled capture cannot be voided
    int captures = 0;      // times money was taken for this key
  };
  const std::map<std::string, Account>& book() const { return book_; }

 private:
  Calls& calls_;
  std::map<std::string, Account> book_;
};

class SimViews final : public StatusViews {
 public:
  explicit SimViews(Calls& calls) : calls_(calls) {}

  Status Put(const StatusView& view) override;
  Result<std::optional<StatusView>> Get(const std::string& booking_id) override;

  // The stored view, without a scheduling point (for the checker).
  std::optional<StatusView> Find(const std::string& booking_id) const;

 private:
  Calls& calls_;
  std::map<std::string, StatusView> views_;
};

class SimProducer final : public EventProducer {
 public:
  SimProducer(Calls& calls, const SimViews& views) : calls_(calls), views_(views) {}

  void PublishAsync(OutgoingEvent event, PublishCallback done) override;
  Status Publish(const OutgoingEvent& event, std::chrono::milliseconds timeout) override;
  Status Flush(std::chrono::milliseconds) override { return Status::Ok(); }
  Status Ping(std::chrono::milliseconds) override { return Status::Ok(); }

  const std::vector<OutgoingEvent>& written() const { return written_; }
  // The view of each written event's booking at the moment it was written.
  const std::vector<std::optional<StatusView>>& views_at_write() const { return views_at_write_; }

 private:
  Calls& calls_;
  const SimViews& views_;
  std::vector<OutgoingEvent> written_;
  std::vector<std::optional<StatusView>> views_at_write_;
};

}  // namespace wanderluxe::sim

#endif  // WANDERLUXE_TESTS_SIM_SIM_PORTS_H_
