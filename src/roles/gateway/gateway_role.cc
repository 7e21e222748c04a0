#include "roles/gateway/gateway_role.h"

namespace wanderluxe {

RoleMain AddGatewayCommand(CLI::App&) {
  return [](const RoleContext&) { return NotYetBuilt("gateway"); };
}

}  // namespace wanderluxe
