// A whole batch admitted the way the processor admits it, for tests: Decide
// then Record, back to back, with no booking of an earlier batch in flight.
//
// Thread safety: as BatchAdmission's (batch_admission.h).
#ifndef WANDERLUXE_TESTS_FAKES_ADMIT_BATCH_H_
#define WANDERLUXE_TESTS_FAKES_ADMIT_BATCH_H_

#include <atomic>
#include <vector>

#include "wanderluxe/batch_admission.h"

namespace wanderluxe::fakes {

inline Result<std::vector<Admission>> AdmitBatch(BatchAdmission& batches,
                                                 const std::vector<BookingEvent>& events,
                                                 const std::atomic<bool>& stop) {
  auto decided = batches.Decide(events, /*in_flight=*/{}, stop);
  if (!decided.ok()) return decided.status();
  return batches.Record(events, std::move(*decided), stop);
}

}  // namespace wanderluxe::fakes

#endif  // WANDERLUXE_TESTS_FAKES_ADMIT_BATCH_H_
