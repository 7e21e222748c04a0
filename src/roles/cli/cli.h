// The `wanderluxe` command line: one executable, one subcommand per role.
#ifndef WANDERLUXE_ROLES_CLI_CLI_H_
#define WANDERLUXE_ROLES_CLI_CLI_H_

#include <string>

namespace wanderluxe {

// Parses argv, loads the config, runs the chosen role; returns the exit status
// (0 success, 1 the role failed, 2 bad usage or config).
int RunCli(int argc, char** argv);

// For subcommands whose issue has not landed yet.
int NotYetBuilt(const std::string& role);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_CLI_CLI_H_
