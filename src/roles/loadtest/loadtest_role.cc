#include "roles/loadtest/loadtest_role.h"

namespace wanderluxe {

RoleMain AddLoadtestCommand(CLI::App&) {
  return [](const RoleContext&) { return NotYetBuilt("loadtest"); };
}

}  // namespace wanderluxe
