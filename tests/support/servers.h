// Integration tests talk to the live servers of scripts/stack. A missing server
// is a loud failure that says how to start it, never a skip.
#ifndef WANDERLUXE_TESTS_SUPPORT_SERVERS_H_
#define WANDERLUXE_TESTS_SUPPORT_SERVERS_H_

#include <string>
#include <vector>

#include "wanderluxe/config.h"

namespace wanderluxe::testing {

// config/wanderluxe.yaml plus WANDERLUXE_* overrides: where the live servers are.
// `sets` are extra section.key=value overrides, applied last.
Config LiveConfig(const std::vector<std::string>& sets = {});

// A name no other test run has used: tests never depend on leftovers.
std::string UniqueName(const std::string& prefix);

// A loopback TCP port that is free now, for a role started as a child
// process. Drawn from below the kernel's ephemeral range (32768 and up), so no
// outgoing connection can take it between this check and the child's bind.
int FreeLoopbackPort();
// True when a TCP socket can bind `port` on 127.0.0.1 now.
bool CanBindLoopback(int port);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_SERVERS_H_
