// The invariants of docs/contract.md "Invariants", checked against the live stores:
//   I1 no oversell        I2 conservation        I3 exactly-once charge
//   I4 no lost acceptance I5 nothing stuck       I6 audit complete
//   I7 nothing left unsold while refused
// Shared by `verify`, `loadtest` and `reconcile`.
// Prints results as PASS/FAIL lines; true when none failed.
#ifndef WANDERLUXE_ROLES_COMMON_INVARIANTS_H_
#define WANDERLUXE_ROLES_COMMON_INVARIANTS_H_

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "adapters/mongo/mongo_store.h"
#include "adapters/redis/redis_commands.h"
#include "roles/common/leaked_hold.h"
#include "wanderluxe/config.h"
#include "wanderluxe/ports/inventory_audit.h"
#include "wanderluxe/ports/inventory_store.h"
#include "wanderluxe/ports/ledger.h"
#include "wanderluxe/ports/ledger_audit.h"

namespace wanderluxe {

struct InvariantResult {
  enum class Verdict { kPass, kFail, kSkip };
  std::string id;    // "I1"
  std::string name;  // "no oversell"
  Verdict verdict = Verdict::kPass;
  std::vector<std::string> details;  // violations (with booking ids) or notes

  void Fail(std::string detail) {
    verdict = Verdict::kFail;
    details.push_back(std::move(detail));
  }
};

std::string_view VerdictName(InvariantResult::Verdict verdict);
bool PrintInvariants(const std::vector<InvariantResult>& results);

// A booking still moving (RESERVED, holding a unit) is not a violation; a
// hold or charge of a booking that finished is.
struct VerifyScope {
  std::vector<std::string> properties;  // empty: every property with inventory
  // Bookings known to have been answered 202 (loadtest); when absent, the
  // requests topic is read to find them.
  std::optional<std::vector<std::string>> accepted_ids;
  // I6 (the audit archive); loadtest leaves it to `verify`, since the audit
  // may still be catching up when the last booking turns terminal.
  bool check_audit = true;
};

class InvariantChecker {
 public:
  // Every store must outlive the checker. `inventory` and `listings` are
  // one store's two ports, as are `ledger` and `scans` (the roles pass a
  // RedisInventoryStore and a MongoLedger twice).
  InvariantChecker(const Config& config, RedisCommands& redis, MongoStore& mongo,
                   InventoryStore& inventory, InventoryAudit& listings, Ledger& ledger,
                   LedgerAudit& scans);

  std::vector<InvariantResult> Check(VerifyScope scope);
  // I6 alone for `properties`, once the audit has caught up or `wait` has
  // passed: the requests topic is read once, the archive every second.
  InvariantResult AwaitAudit(const std::vector<std::string>& properties, std::chrono::seconds wait);

  // Captured charges whose booking is not CONFIRMED, and holds whose booking is
  // terminal: what `reconcile --fix` repairs. Filled by Check. A booking
  // whose ledger read failed, or a hold whose booking is not in the ledger
  // (a batch reserves before it inserts), fails the check but is no target.
  std::vector<std::string> orphan_charges;
  std::vector<LeakedHold> leaked_holds;
  // Waitlist entries of finished bookings, or of unrecorded ones older than
  // processor.stuck_threshold_s: what `reconcile --fix` removes. Filled by Check.
  std::vector<std::pair<std::string, std::string>> stale_waiters;  // (property, booking)

 private:
  struct TopicEvent {
    std::string booking_id;
    std::string event_id;
    std::string property_id;
  };

  // The bookings of `property_id` as Check's one pass over the ledger read
  // them; null (and `r` failed) when that pass failed.
  const std::vector<BookingSummary>* BookingsOf(const std::string& property_id,
                                                InvariantResult& r) const;
  static std::vector<std::string> IdsWith(const std::vector<BookingSummary>& bookings,
                                          BookingStatus status);
  Result<std::vector<std::string>> DiscoverProperties();
  Result<std::vector<TopicEvent>> ReadRequestsTopic(const std::vector<std::string>& properties);
  InvariantResult CheckOversell(const std::vector<std::string>& properties);
  InvariantResult CheckConservation(const std::vector<std::string>& properties);
  InvariantResult CheckCharges(const std::vector<std::string>& properties);
  InvariantResult CheckAccepted(const std::vector<std::string>& properties,
                                const std::vector<std::string>& booking_ids);
  InvariantResult CheckStuck(const std::vector<std::string>& properties);
  // I6 over each archive audit.sinks names: every event on file, none twice.
  InvariantResult CheckAudit(const std::vector<TopicEvent>& events);
  void CheckMongoArchive(const std::vector<TopicEvent>& events, InvariantResult& r);
  void CheckFileArchive(const std::vector<TopicEvent>& events, InvariantResult& r);
  bool HasAuditSink(const std::string& name) const;
  // I6 from the requests topic as read (or not).
  InvariantResult AuditResult(const Result<std::vector<TopicEvent>>& events);
  InvariantResult CheckUnsoldWhileRefused(const std::vector<std::string>& properties);
  // Adds the property's stale waitlist entries to `r` and to stale_waiters.
  void FindStaleWaiters(const std::string& property_id, InvariantResult& r);

  const Config config_;
  RedisCommands& redis_;
  InventoryStore& inventory_;
  InventoryAudit& listings_;
  MongoStore& mongo_;
  Ledger& ledger_;
  LedgerAudit& scans_;
  // Check's one pass over the ledger, for the properties in scope.
  std::map<std::string, std::vector<BookingSummary>> summaries_;
  Status summaries_status_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_COMMON_INVARIANTS_H_
