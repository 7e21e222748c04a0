#include "roles/bank/bank_role.h"

namespace wanderluxe {

RoleMain AddBankCommand(CLI::App&) {
  return [](const RoleContext&) { return NotYetBuilt("bank"); };
}

}  // namespace wanderluxe
