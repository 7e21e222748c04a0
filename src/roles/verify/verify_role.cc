#include "roles/verify/verify_role.h"

namespace wanderluxe {

RoleMain AddVerifyCommand(CLI::App&) {
  return [](const RoleContext&) { return NotYetBuilt("verify"); };
}

}  // namespace wanderluxe
