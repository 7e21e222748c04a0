#include "roles/reconcile/reconcile_role.h"

namespace wanderluxe {

RoleMain AddReconcileCommand(CLI::App&) {
  return [](const RoleContext&) { return NotYetBuilt("reconcile"); };
}

}  // namespace wanderluxe
