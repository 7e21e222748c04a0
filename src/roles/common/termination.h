// Graceful shutdown for long-running roles: SIGTERM and SIGINT are blocked in
// every thread and taken synchronously by the thread that waits for them, so
// no work runs inside a signal handler.
#ifndef WANDERLUXE_ROLES_COMMON_TERMINATION_H_
#define WANDERLUXE_ROLES_COMMON_TERMINATION_H_

#include <chrono>
#include <optional>

namespace wanderluxe {

// Call first in a role, before any thread exists: threads inherit the mask.
void BlockTerminationSignals();

// The signal number once SIGTERM or SIGINT arrives, or nothing after `timeout`.
std::optional<int> WaitForTermination(std::chrono::milliseconds timeout);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_COMMON_TERMINATION_H_
