// `wanderluxe seed`: set a property's inventory.
#ifndef WANDERLUXE_ROLES_SEED_SEED_ROLE_H_
#define WANDERLUXE_ROLES_SEED_SEED_ROLE_H_

#include "roles/common/role_context.h"

namespace wanderluxe {

// Adds the subcommand's own options to `command`; returns what runs it.
RoleMain AddSeedCommand(CLI::App& command);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_SEED_SEED_ROLE_H_
