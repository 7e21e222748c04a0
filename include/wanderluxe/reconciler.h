// Finishes sagas left behind: any booking non-terminal past a threshold (a
// worker died, a partition moved, a dependency was down for long) is driven to
// a terminal state by resuming the saga from the ledger (I5, nothing stuck).
// A WAITLISTED booking found this way leaves the waitlist once it has waited
// saga.waitlist_timeout_ms, so the threshold is at most that (ThresholdFor).
// It takes a booking over only once its driver's lease has lapsed
// (kOneDriver); a booking still leased is left for a later pass.
//
// Thread safety: RunOnce may run in any number of processors at once; two
// reconcilers meeting on one booking race for its lease, and one wins.
#ifndef WANDERLUXE_RECONCILER_H_
#define WANDERLUXE_RECONCILER_H_

#include <atomic>
#include <chrono>
#include <map>

#include "wanderluxe/booking_saga.h"
#include "wanderluxe/config.h"

namespace wanderluxe {

struct ReconcileReport {
  int64_t found = 0;
  std::map<BookingStatus, int64_t> finished;  // by the terminal status reached
  int64_t failed = 0;
  int64_t owned_elsewhere = 0;  // another live driver holds them: left alone
};

class Reconciler {
 public:
  Reconciler(Ledger& ledger, BookingSaga& saga, std::chrono::milliseconds threshold)
      : ledger_(ledger), saga_(saga), threshold_(threshold) {}

  // processor.stuck_threshold_s, or saga.waitlist_timeout_ms when shorter.
  static std::chrono::milliseconds ThresholdFor(const Config& config);

  // One pass over at most `limit` stale bookings.
  Result<ReconcileReport> RunOnce(const std::atomic<bool>& stop, int64_t limit = 1000);

 private:
  Ledger& ledger_;
  BookingSaga& saga_;
  const std::chrono::milliseconds threshold_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_RECONCILER_H_
