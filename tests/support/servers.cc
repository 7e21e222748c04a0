#include "support/servers.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <random>

#include "support/build_paths.h"

namespace wanderluxe::testing {

Config LiveConfig(const std::vector<std::string>& sets) {
  auto config =
      LoadConfig({SourceDir() + "/config/wanderluxe.yaml", WanderluxeEnvironment(), sets});
  REQUIRE_MESSAGE(config.ok(), config.status().ToString());
  return *config;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  const auto now = std::chrono::system_clock::now().time_since_epoch().count();
  return prefix + "-" + std::to_string(getpid()) + "-" + std::to_string(now) + "-" +
         std::to_string(counter++);
}

bool CanBindLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

int FreeLoopbackPort() {
  static std::mt19937 rng(std::random_device{}());
  std::uniform_int_distribution<int> pick(20000, 32000);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = pick(rng);
    if (CanBindLoopback(port)) return port;
  }
  FAIL("no free loopback port in 20000-32000 after 200 tries");
  return 0;
}

}  // namespace wanderluxe::testing
