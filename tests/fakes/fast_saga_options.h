// The saga's options for unit tests over fakes: millisecond retries, a 30 ms
// payment deadline, three attempts before a booking is parked.
#ifndef WANDERLUXE_TESTS_FAKES_FAST_SAGA_OPTIONS_H_
#define WANDERLUXE_TESTS_FAKES_FAST_SAGA_OPTIONS_H_

#include "wanderluxe/booking_saga.h"

namespace wanderluxe::fakes {

inline SagaOptions FastSagaOptions() {
  SagaOptions o = SagaOptions::From(Config{});
  o.retry = {std::chrono::milliseconds(1), std::chrono::milliseconds(2), 2, 0};
  o.payment_deadline = std::chrono::milliseconds(30);
  o.max_attempts = 3;
  return o;
}

}  // namespace wanderluxe::fakes

#endif  // WANDERLUXE_TESTS_FAKES_FAST_SAGA_OPTIONS_H_
