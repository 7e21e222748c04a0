// The processor's micro-batches (DESIGN.md "Batches"): the first steps
// of the saga — is the booking new, reserve, record the decision — taken for
// a partition's batch of events at once: one ledger read (GetMany), one
// reserve call per property (ReserveBatch, deciding in offset order, so a
// flash sale stays first come, first served within a partition), and one
// bulk insert (InsertMany). What is left of each booking is handed back:
//
//   kPublish        recorded SOLD_OUT (terminal): its outcome is to be
//                   published; the event is done once that is acknowledged.
//   kDriveAdmitted  recorded RESERVED with `driver` holding its lease:
//                   BookingSaga::DriveAdmitted charges and confirms it (or
//                   compensates).
//   kDriveEvent     everything else — already in the ledger (redelivered, a
//                   duplicate, a reused bookingId), a later event of a
//                   booking decided earlier in the batch, an insert that lost
//                   a race: BookingSaga::DriveEvent, one by one, exactly as
//                   without batches.
//
// Invariants, each the saga's own:
//   kNeverReReserved: a booking already in the ledger is never reserved
//     again here; it goes to kDriveEvent (the saga's resume path).
//   kNoLeak: a reserve whose insert lost to an existing record gives the unit
//     back unless that record holds it (BookingSaga::SettleLostInsert).
//   kRedo: a batch that dies half way leaves its events undone; redone, each
//     reserve answers "already held" for a unit taken before, and each insert
//     that made it answers kExists, settled as a lost insert.
//
// Two phases, so that a partition's batches can overlap (the processor runs
// at most one Decide of a partition at a time, and Records beside it):
//   Decide  the ledger read and the reserves: the batch's place in the
//           partition's first-come, first-served order is taken here.
//   Record  the bulk insert and what follows from it: the slow part on
//           FerretDB, which the next batch's Decide and Record may overlap.
// kNotTwiceInFlight: a booking of an earlier batch not yet handed over is
// neither read nor reserved by a later one (`in_flight`): it goes kDriveEvent, and
// runs after the earlier batch's events, finding their record.
//
// Thread safety: any call may run concurrently with any other; the order of
// Decides within a partition is the caller's to keep.
#ifndef WANDERLUXE_BATCH_ADMISSION_H_
#define WANDERLUXE_BATCH_ADMISSION_H_

#include <atomic>
#include <set>
#include <string>
#include <vector>

#include "wanderluxe/booking_saga.h"

namespace wanderluxe {

struct Admission {
  enum class Next { kPublish, kDriveAdmitted, kDriveEvent };
  Next next = Next::kDriveEvent;
  BookingRecord record;   // kPublish, kDriveAdmitted: as inserted
  std::string driver;     // kDriveAdmitted: the lease holder
  OutgoingEvent outcome;  // kPublish
};

// A batch decided and not yet recorded: Decide's answer, Record's input.
struct DecidedBatch {
  std::vector<Admission> admissions;   // one per event; kDriveEvent unless Record decides
  std::vector<size_t> decided;         // the events reserved here, in offset order
  std::vector<Reservation> reserved;   // per event; set for the decided ones
  std::vector<BookingRecord> records;  // per decided event, as it is to be inserted
};

class BatchAdmission {
 public:
  explicit BatchAdmission(BookingSaga& saga);

  // The ledger read and the reserves of `events`, except the bookings in
  // `in_flight` (kNotTwiceInFlight). Transient failures are retried without
  // end until `stop`; an error comes back on `stop` (the events are
  // redelivered) or after saga.max_attempts failures retrying cannot fix (the
  // caller then sends every event the one-by-one way, kDriveEvent).
  Result<DecidedBatch> Decide(const std::vector<BookingEvent>& events,
                              const std::set<std::string>& in_flight,
                              const std::atomic<bool>& stop);
  // The bulk insert of what `batch` decided for `events`, and one admission
  // per event, in the events' order (a partition's offset order). Errors as
  // Decide's.
  Result<std::vector<Admission>> Record(const std::vector<BookingEvent>& events, DecidedBatch batch,
                                        const std::atomic<bool>& stop);

 private:
  template <typename Call>
  auto Retry(const char* step, Call call, const std::atomic<bool>& stop) -> decltype(call());

  BookingSaga& saga_;
  InventoryStore& inventory_;
  Ledger& ledger_;
  const SagaOptions& options_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_BATCH_ADMISSION_H_
