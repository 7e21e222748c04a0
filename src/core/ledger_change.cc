#include "wanderluxe/check.h"
#include "wanderluxe/ports/ledger.h"

namespace wanderluxe {

void ApplyChange(BookingRecord& record, const LedgerChange& change) {
  WL_CHECK(IsAllowedTransition(record.status, change.to), "kStateMachine");
  WL_CHECK(IsAllowedPaymentChange(record.payment_status, change.payment_status),
           "kPaymentDecisions");
  record.status = change.to;
  record.payment_status = change.payment_status;
  if (!change.transaction_id.empty()) record.transaction_id = change.transaction_id;
  if (change.entry) record.audit_log.push_back(*change.entry);
  if (change.lease) record.lease = *change.lease;
  if (change.waitlist_position > 0) record.waitlist_position = change.waitlist_position;
  if (change.outcome_owed) record.outcome_owed = *change.outcome_owed;
  record.updated_at = !change.updated_at.empty() ? change.updated_at
                      : change.entry             ? change.entry->timestamp
                                                 : record.updated_at;
  ++record.version;
}

}  // namespace wanderluxe
