#include "roles/processor/processor_role.h"

namespace wanderluxe {

RoleMain AddProcessorCommand(CLI::App&) {
  return [](const RoleContext&) { return NotYetBuilt("processor"); };
}

}  // namespace wanderluxe
