// WL_CHECK: an invariant check that stays on in every build we ship (as
// redpanda's vassert does). `assert` is compiled out under NDEBUG, which is
// exactly when a broken invariant would sell a fourth night; a failed
// WL_CHECK logs the invariant's name and where, then aborts, so the process
// dies before it can act on a state it does not understand. Kafka redelivers
// whatever it had not finished (offsets are committed at the watermark only).
//
//   WL_CHECK(IsAllowedTransition(from, to), "kStateMachine");
//
// The message is evaluated only when the check fails.
//
// Thread safety: WL_CHECK may fail on any thread; the first failure aborts
// the process.
#ifndef WANDERLUXE_CHECK_H_
#define WANDERLUXE_CHECK_H_

#include <string_view>

namespace wanderluxe::internal {

[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              std::string_view message);

}  // namespace wanderluxe::internal

#define WL_CHECK(condition, message)                                                  \
  do {                                                                                \
    if (!(condition)) [[unlikely]] {                                                  \
      ::wanderluxe::internal::CheckFailed(__FILE__, __LINE__, #condition, (message)); \
    }                                                                                 \
  } while (0)

#endif  // WANDERLUXE_CHECK_H_
