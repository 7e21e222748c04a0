// Port: the booking ledger, the system of record (ARCHITECTURE §4.3). One
// document per booking; every change is a compare-and-set on (status,
// version), so two workers holding the same booking can never both move it.
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

struct BookingRecord {
  BookingRequest request;
  std::string fingerprint;  // BookingRequest::Fingerprint() of the first request
  BookingStatus status = BookingStatus::kPending;
  PaymentStatus payment_status = PaymentStatus::kPending;
  std::string transaction_id;
  int64_t version = 1;
  std::string created_at;
  std::string updated_at;
  std::vector<LedgerEntry> audit_log;
};

// One compare-and-set: the booking moves to `to` (or stays, for payment-only
// updates) and gains `entry`.
struct LedgerChange {
  BookingStatus to;
  PaymentStatus payment_status;
  std::string transaction_id;
  LedgerEntry entry;
};

class Ledger {
 public:
  virtual ~Ledger() = default;

  // Inserts a PENDING record at version 1; kAlreadyExists when the id is taken.
  virtual Status Insert(const BookingRecord& record) = 0;
  virtual Result<std::optional<BookingRecord>> Get(const std::string& booking_id) = 0;
  // Applies `change` only when the record is at (`from`, `version`); then its
  // version is version + 1. kFailedPrecondition when it is not (someone moved it).
  virtual Status Transition(const std::string& booking_id, BookingStatus from, int64_t version,
                            const LedgerChange& change) = 0;
  // Non-terminal records last updated before `updated_before` (RFC 3339).
  virtual Result<std::vector<BookingRecord>> FindStale(const std::string& updated_before,
                                                       int64_t limit) = 0;
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
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_PORTS_LEDGER_H_
