// `wanderluxe reconcile`: find and repair stuck sagas.
#ifndef WANDERLUXE_ROLES_RECONCILE_RECONCILE_ROLE_H_
#define WANDERLUXE_ROLES_RECONCILE_RECONCILE_ROLE_H_

#include "roles/common/role_context.h"

namespace wanderluxe {

// Adds the subcommand's own options to `command`; returns what runs it.
RoleMain AddReconcileCommand(CLI::App& command);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_RECONCILE_RECONCILE_ROLE_H_
