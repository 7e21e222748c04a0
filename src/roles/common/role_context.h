// What every role receives from the command line, the exit codes they share,
// and the shape of a role's entry point (roles/cli/ binds one per subcommand).
#ifndef WANDERLUXE_ROLES_COMMON_ROLE_CONTEXT_H_
#define WANDERLUXE_ROLES_COMMON_ROLE_CONTEXT_H_

#include <functional>
#include <string>

#include "wanderluxe/config.h"

namespace CLI {
class App;
}  // namespace CLI

namespace wanderluxe {

constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;  // the role ran and failed (a server away, an invariant broken)
constexpr int kExitUsage = 2;    // bad command line or config; nothing was done

struct RoleContext {
  Config config;
  std::string config_path;
};

// A role's entry point, bound to the options its subcommand parsed.
using RoleMain = std::function<int(const RoleContext&)>;

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_COMMON_ROLE_CONTEXT_H_
