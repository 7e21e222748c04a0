#include "support/test_args.h"

#include <vector>

namespace wanderluxe::testing {
namespace {

std::vector<std::string>& Args() {
  static std::vector<std::string> args;
  return args;
}

}  // namespace

void SetTestArgs(int argc, char** argv) { Args().assign(argv, argv + argc); }

std::optional<std::string> TestArg(const std::string& name) {
  const std::vector<std::string>& args = Args();
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--" + name) return args[i + 1];
  }
  return std::nullopt;
}

}  // namespace wanderluxe::testing
