// A hold whose booking the ledger holds as finished: what `verify` reports
// under I2 and `reconcile --fix` repairs (roles/reconcile/hold_repair.h).
//
// Thread safety: a plain value.
#ifndef WANDERLUXE_ROLES_COMMON_LEAKED_HOLD_H_
#define WANDERLUXE_ROLES_COMMON_LEAKED_HOLD_H_

#include <string>

#include "wanderluxe/booking.h"

namespace wanderluxe {

struct LeakedHold {
  std::string property;
  std::string booking;
  BookingStatus status;  // terminal
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_COMMON_LEAKED_HOLD_H_
