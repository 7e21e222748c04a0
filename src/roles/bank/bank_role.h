// `wanderluxe bank`: mock bank: idempotent charges, void, fault injection.
#ifndef WANDERLUXE_ROLES_BANK_BANK_ROLE_H_
#define WANDERLUXE_ROLES_BANK_BANK_ROLE_H_

#include "roles/common/role_context.h"

namespace wanderluxe {

// Adds the subcommand's own options to `command`; returns what runs it.
RoleMain AddBankCommand(CLI::App& command);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_BANK_BANK_ROLE_H_
