// Port: the ledger's whole-property scans, for `verify` (the invariants
// I1-I7): counts by status, ids by status, every booking's status, the
// waiters turned away. The saga never scans; it drives through Ledger
// (ledger.h), which the same store implements.
//
// Thread safety: every call may run concurrently from any number of threads
// and processes, and with any Ledger call. SummarizeProperties answers every
// transition won before it was called (kReadsClaims, as Ledger::Get); the
// other scans read documents only: a transition whose winner has not written
// it down yet (an end that waits for its outcome, kWriteDownAtEnd) may not
// show yet.
#ifndef WANDERLUXE_PORTS_LEDGER_AUDIT_H_
#define WANDERLUXE_PORTS_LEDGER_AUDIT_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "wanderluxe/booking.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

// One booking as the whole-ledger scans see it.
struct BookingSummary {
  std::string booking_id;
  BookingStatus status = BookingStatus::kPending;
  bool waited = false;  // joined the waitlist (waitlist_position > 0)
  int64_t version = 1;
};

class LedgerAudit {
 public:
  virtual ~LedgerAudit() = default;

  // Every booking of each of `property_ids`, by property (each one present,
  // a property without bookings as an empty list), from one pass over the
  // ledger: what `verify` checks many properties with, where a scan per
  // property and invariant would read the ledger hundreds of times. An open
  // booking whose claims run past its document is answered as they say.
  virtual Result<std::map<std::string, std::vector<BookingSummary>>> SummarizeProperties(
      const std::vector<std::string>& property_ids) = 0;

  // Bookings of a property by status (for `verify`).
  virtual Result<std::map<BookingStatus, int64_t>> CountByStatus(
      const std::string& property_id) = 0;
  // Ids of a property's bookings in `status` (for `verify` to name violations).
  virtual Result<std::vector<std::string>> IdsWithStatus(const std::string& property_id,
                                                         BookingStatus status) = 0;
  // Every booking of a property and its status, in one pass (for `verify` to
  // check thousands of accepted bookings without a lookup each).
  virtual Result<std::map<std::string, BookingStatus>> StatusByBooking(
      const std::string& property_id) = 0;
  // Ids of up to `limit` (0: all) of a property's bookings that joined its
  // waitlist (waitlist_position > 0) and ended SOLD_OUT, in id order (for
  // `verify` I7 to name them).
  virtual Result<std::vector<std::string>> WaitedAndSoldOut(const std::string& property_id,
                                                            int64_t limit) = 0;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_LEDGER_AUDIT_H_
