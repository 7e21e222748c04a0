#include "roles/seed/seed_role.h"

namespace wanderluxe {

RoleMain AddSeedCommand(CLI::App&) {
  return [](const RoleContext&) { return NotYetBuilt("seed"); };
}

}  // namespace wanderluxe
