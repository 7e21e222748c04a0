// Integration tests talk to the live servers of scripts/stack. A missing server
// is a loud failure that says how to start it, never a skip.
#ifndef WANDERLUXE_TESTS_SUPPORT_SERVERS_H_
#define WANDERLUXE_TESTS_SUPPORT_SERVERS_H_

#include <string>

#include "wanderluxe/config.h"

namespace wanderluxe::testing {

// config/wanderluxe.yaml plus WANDERLUXE_* overrides: where the live servers are.
Config LiveConfig();

// A name no other test run has used: tests never depend on leftovers.
std::string UniqueName(const std::string& prefix);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_SERVERS_H_
