#include "wanderluxe/check.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>

namespace wanderluxe::internal {

void CheckFailed(const char* file, int line, const char* condition, std::string_view message) {
  // stderr first: the logger may be the thing that is broken.
  std::fprintf(stderr, "invariant violated at %s:%d: %.*s (%s)\n", file, line,
               static_cast<int>(message.size()), message.data(), condition);
  spdlog::critical("invariant violated at {}:{}: {} ({})", file, line, message, condition);
  spdlog::shutdown();
  std::abort();
}

}  // namespace wanderluxe::internal
