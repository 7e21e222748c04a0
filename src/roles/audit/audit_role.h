// `wanderluxe audit`: second consumer group archiving every event.
#ifndef WANDERLUXE_ROLES_AUDIT_AUDIT_ROLE_H_
#define WANDERLUXE_ROLES_AUDIT_AUDIT_ROLE_H_

#include "roles/common/role_context.h"

namespace wanderluxe {

// Adds the subcommand's own options to `command`; returns what runs it.
RoleMain AddAuditCommand(CLI::App& command);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_AUDIT_AUDIT_ROLE_H_
