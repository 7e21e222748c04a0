#include "roles/audit/audit_role.h"

namespace wanderluxe {

RoleMain AddAuditCommand(CLI::App&) {
  return [](const RoleContext&) { return NotYetBuilt("audit"); };
}

}  // namespace wanderluxe
