// Finishes sagas left behind: any booking non-terminal past a threshold (a
// worker died, a partition moved, a dependency was down for long) is driven to
// a terminal state by resuming the saga from the ledger (I5, nothing stuck).
#ifndef WANDERLUXE_RECONCILER_H_
#define WANDERLUXE_RECONCILER_H_

#include <atomic>
#include <chrono>
#include <map>

#include "wanderluxe/booking_saga.h"

namespace wanderluxe {

struct ReconcileReport {
  int64_t found = 0;
  std::map<BookingStatus, int64_t> finished;  // by the terminal status reached
  int64_t failed = 0;
};

class Reconciler {
 public:
  Reconciler(Ledger& ledger, BookingSaga& saga, std::chrono::seconds threshold)
      : ledger_(ledger), saga_(saga), threshold_(threshold) {}

  // One pass over at most `limit` stale bookings.
  Result<ReconcileReport> RunOnce(const std::atomic<bool>& stop, int64_t limit = 1000);

 private:
  Ledger& ledger_;
  BookingSaga& saga_;
  const std::chrono::seconds threshold_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_RECONCILER_H_
