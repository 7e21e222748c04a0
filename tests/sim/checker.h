// The simulator's judge: the invariants of docs/contract.md "Invariants" over a settled
// world's end state (the ledger's claims, Redis, the bank's book and the
// outcomes written), plus the money rule no example names:
//
//   I1  no oversell: CONFIRMED == sold <= units; every CONFIRMED sold a unit
//   I2  conservation: available + held + sold == units; no hold and no
//       waiter left once every booking is terminal
//   I3  money: every charge the bank holds captured belongs to a CONFIRMED
//       booking, and no CONFIRMED booking's charge was voided
//   I4  no lost acceptance: every accepted booking is in the ledger, and its
//       guest was told its final status (an outcome), never another one
//   I5  nothing stuck: every booking is terminal once the world settled
//   I7  nothing left unsold while refused: no unit available while a
//       booking that waited ended SOLD_OUT before its waitlist timeout,
//       unless the sale of the then last unit turned it away
//   IV  kViewBeforeOutcome: every terminal outcome was written over its
//       booking's view showing that very status, and every ended booking's
//       view shows how it ended
// (I6, the audit archive, has no part in the saga: the audit drills and
// integration.audit* defend it.)
//
// Thread safety: a pure function.
#ifndef WANDERLUXE_TESTS_SIM_CHECKER_H_
#define WANDERLUXE_TESTS_SIM_CHECKER_H_

#include <map>
#include <string>
#include <vector>

#include <functional>
#include <optional>

#include "sim/sim_ports.h"
#include "wanderluxe/booking_event.h"

namespace wanderluxe::sim {

// Each violation, naming the invariant and the booking.
std::vector<std::string> Check(const std::vector<BookingEvent>& accepted,
                               const SimInventory::Property& property,
                               const std::map<std::string, BookingRecord>& ledger,
                               const std::map<std::string, SimBank::Account>& bank,
                               const std::vector<OutgoingEvent>& outcomes);

// IV: `views_at_write[i]` is the view of `outcomes[i]`'s booking when it was
// written; `view_of` the view each booking has at the end.
void CheckViews(const std::vector<OutgoingEvent>& outcomes,
                const std::vector<std::optional<StatusView>>& views_at_write,
                const std::map<std::string, BookingRecord>& ledger,
                const std::function<std::optional<StatusView>(const std::string&)>& view_of,
                std::vector<std::string>& out);

}  // namespace wanderluxe::sim

#endif  // WANDERLUXE_TESTS_SIM_CHECKER_H_
