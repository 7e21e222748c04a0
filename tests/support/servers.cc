#include "support/servers.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>

namespace wanderluxe::testing {

Config LiveConfig(const std::vector<std::string>& sets) {
  auto config = LoadConfig({std::string(WANDERLUXE_SOURCE_DIR) + "/config/wanderluxe.yaml",
                            WanderluxeEnvironment(), sets});
  REQUIRE_MESSAGE(config.ok(), config.status().ToString());
  return *config;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(now) + "-" +
         std::to_string(counter++);
}

}  // namespace wanderluxe::testing
