// Port: the booking ledger, the system of record (docs/contract.md "The ledger"). One
// record per booking; every change is a compare-and-set on (status, version)
// that exactly one caller wins, on MongoDB and on FerretDB alike.
//
// This is what drives bookings needs (the saga, the processor's batches, the
// reconciler, the gateway's GET): inserts, reads by id, compare-and-set
// transitions and the stale query. The whole-ledger scans `verify` needs
// are LedgerAudit's (ledger_audit.h).
//
// Thread safety: every call may run concurrently from any number of threads
// and processes. Two Transitions from the same (status, version) race
// honestly: one returns Ok, every other kFailedPrecondition. kReadsClaims:
// Get and GetMany answer every transition won before they were called, even
// one whose winner is still writing it down or died doing so (MongoLedger
// reads the claims past the document). FindStale reads documents only, and
// may lag.
//
// Ownership (docs/contract.md "The saga") is data in the record, not a lock in the
// ledger: a driver holds `lease` while it advances a booking, and every
// driver's change is a Transition at the version it read, so a driver that
// lost its lease to another cannot write anything (its version is stale).
#ifndef WANDERLUXE_PORTS_LEDGER_H_
#define WANDERLUXE_PORTS_LEDGER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "wanderluxe/booking.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

struct LedgerEntry {
  std::string action;     // RESERVED, CHARGE_CAPTURED, COMPENSATED, ...
  std::string timestamp;  // RFC 3339
  std::string detail;
};

// Who may advance a booking, and until when (Unix milliseconds). `token`
// grows by one with every new holder: the fencing token of §6.
struct Lease {
  std::string owner;  // empty: nobody holds it
  int64_t token = 0;
  int64_t until_ms = 0;

  bool operator==(const Lease&) const = default;
  bool HeldBy(const std::string& driver, int64_t at_ms) const {
    return owner == driver && until_ms > at_ms;
  }
  bool HeldByAnother(const std::string& driver, int64_t at_ms) const {
    return !owner.empty() && owner != driver && until_ms > at_ms;
  }
};

struct BookingRecord {
  BookingRequest request;
  std::string fingerprint;  // BookingRequest::Fingerprint() of the first request
  BookingStatus status = BookingStatus::kPending;
  PaymentStatus payment_status = PaymentStatus::kPending;
  std::string transaction_id;
  int64_t version = 1;
  int64_t waitlist_position = 0;  // > 0: joined the waitlist at this place (1 = head)
  std::string client_id;          // the API client that booked it; empty without keys
  // kOutcomeOwed: a driver with no event in flight (the reconciler, a
  // hand-over from the waitlist) drives it, so no redelivery would publish
  // its terminal outcome should that driver die first. Set before such a
  // drive's first step, or with the decision that ends a waiting booking;
  // cleared once the terminal outcome is published (MarkOutcomePublished);
  // FindStale finds a terminal booking that still owes it.
  bool outcome_owed = false;
  Lease lease;
  std::string created_at;
  std::string updated_at;
  std::vector<LedgerEntry> audit_log;
};

// One compare-and-set: the booking moves to `to` (or stays, for a payment
// decision, a lease or an auditLog line).
struct LedgerChange {
  BookingStatus to;
  PaymentStatus payment_status;
  std::string transaction_id;        // kept as it was when empty
  std::optional<LedgerEntry> entry;  // appended to the auditLog when set
  std::optional<Lease> lease;        // replaces the lease when set
  std::string updated_at;            // RFC 3339; the entry's timestamp when empty
  int64_t waitlist_position = 0;     // > 0: the place it joined the waitlist at
  std::optional<bool> outcome_owed;  // replaces outcome_owed when set
};

// The record after `change`, at version + 1: what every ledger stores.
void ApplyChange(BookingRecord& record, const LedgerChange& change);

// One compare-and-set of a TransitionMany: Transition's arguments.
struct LedgerTransition {
  std::string booking_id;
  BookingStatus from;
  int64_t version;
  LedgerChange change;
};

// A terminal record whose outcome is published: MarkOutcomePublished's arguments.
struct PublishedOutcome {
  std::string booking_id;
  int64_t version;
};

// How one record of an InsertMany ended.
enum class InsertOutcome {
  kInserted,  // new, at version 1
  kExists,    // its id was taken: by another booking event, or by this very record
              // inserted by an earlier attempt whose answer was lost
};

class Ledger {
 public:
  virtual ~Ledger() = default;

  // Inserts a record at version 1; kAlreadyExists when the id is taken.
  virtual Status Insert(const BookingRecord& record) = 0;
  virtual Result<std::optional<BookingRecord>> Get(const std::string& booking_id) = 0;
  // The processor's batches (DESIGN.md "Processor"): the records of those of
  // `booking_ids` that exist, by id, in one read. Same guarantees as Get per id.
  virtual Result<std::map<std::string, BookingRecord>> GetMany(
      const std::vector<std::string>& booking_ids) = 0;
  // Records known to be there (a waitlist a sale turned away, read to be
  // driven): those of `booking_ids` that exist, by id, in one read per
  // collection whatever the lookup mode, claims included. Same guarantees as
  // Get per id.
  virtual Result<std::map<std::string, BookingRecord>> GetRecorded(
      const std::vector<std::string>& booking_ids) = 0;
  // Inserts each record at version 1 in one unordered bulk: one outcome per
  // record, in order. Not atomic across records (FerretDB's bulk is not):
  // after an error any subset may be in, and inserting the same records
  // again is the retry, the ones already in answering kExists.
  virtual Result<std::vector<InsertOutcome>> InsertMany(
      const std::vector<BookingRecord>& records) = 0;
  // Applies `change` only when the record is at (`from`, `version`); then its
  // version is version + 1. kFailedPrecondition when it is not (someone moved
  // it first). Exactly one caller wins each version.
  virtual Status Transition(const std::string& booking_id, BookingStatus from, int64_t version,
                            const LedgerChange& change) = 0;
  // kOutcomeOwed: the outcome of the terminal record at `version` is
  // published. Clears outcome_owed without a new version: the flag decides
  // nothing, so no compare-and-set guards it. Should the clear not land
  // (an error, or a document not yet at `version`), the flag only makes the
  // reconciler publish the same outcome again, under the same eventId.
  virtual Status MarkOutcomePublished(const std::string& booking_id, int64_t version) = 0;
  // Transition for each of `transitions` (distinct bookings) in one write
  // per collection: one Status per transition, in order, each as
  // Transition's. Not atomic across bookings: a transition answered with an
  // error other than kFailedPrecondition may or may not have won (its claim
  // may be in), as with Transition.
  virtual std::vector<Status> TransitionMany(const std::vector<LedgerTransition>& transitions) = 0;
  // MarkOutcomePublished for each of `published`, in one write per
  // collection; an error leaves any subset marked (the rest owe, as above).
  virtual Status MarkOutcomesPublished(const std::vector<PublishedOutcome>& published) = 0;
  // WAITLISTED and RESERVED records last updated before `updated_before`
  // (RFC 3339; no record is ever PENDING),
  // and terminal ones that still owe their outcome (kOutcomeOwed).
  virtual Result<std::vector<BookingRecord>> FindStale(const std::string& updated_before,
                                                       int64_t limit) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_LEDGER_H_
