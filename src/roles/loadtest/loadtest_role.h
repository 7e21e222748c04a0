// `wanderluxe loadtest`: thundering-herd client with invariant checks.
#ifndef WANDERLUXE_ROLES_LOADTEST_LOADTEST_ROLE_H_
#define WANDERLUXE_ROLES_LOADTEST_LOADTEST_ROLE_H_

#include "roles/common/role_context.h"

namespace wanderluxe {

// Adds the subcommand's own options to `command`; returns what runs it.
RoleMain AddLoadtestCommand(CLI::App& command);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_LOADTEST_LOADTEST_ROLE_H_
