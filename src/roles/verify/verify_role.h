// `wanderluxe verify`: check the invariants over Redis, the ledger and the bank.
#ifndef WANDERLUXE_ROLES_VERIFY_VERIFY_ROLE_H_
#define WANDERLUXE_ROLES_VERIFY_VERIFY_ROLE_H_

#include "roles/common/role_context.h"

namespace wanderluxe {

// Adds the subcommand's own options to `command`; returns what runs it.
RoleMain AddVerifyCommand(CLI::App& command);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_VERIFY_VERIFY_ROLE_H_
