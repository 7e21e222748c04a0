#include "support/loopback_connections.h"

#include <fstream>
#include <sstream>
#include <string>

namespace wanderluxe::testing {
namespace {

// /proc/net/tcp's states (include/net/tcp_states.h).
constexpr int kEstablished = 0x01;
constexpr int kListen = 0x0A;

struct Socket {
  int local_port;
  int remote_port;
  int state;
};

// "0100007F:1F90" -> 8080
int PortOf(const std::string& address) {
  return std::stoi(address.substr(address.find(':') + 1), nullptr, 16);
}

template <typename Visit>
void ForEachSocket(Visit visit) {
  for (const char* table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::ifstream in(table);
    std::string line;
    std::getline(in, line);  // the column names
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state;
      if (!(fields >> slot >> local >> remote >> state)) continue;
      visit(Socket{PortOf(local), PortOf(remote), std::stoi(state, nullptr, 16)});
    }
  }
}

}  // namespace

std::set<int> ClientPortsOf(int server_port) {
  std::set<int> ports;
  ForEachSocket([&](const Socket& s) {
    if (s.state == kListen) return;
    if (s.remote_port == server_port) ports.insert(s.local_port);
    if (s.local_port == server_port) ports.insert(s.remote_port);
  });
  return ports;
}

int EstablishedClientsOf(int server_port) {
  int n = 0;
  ForEachSocket([&](const Socket& s) {
    if (s.remote_port == server_port && s.state == kEstablished) ++n;
  });
  return n;
}

}  // namespace wanderluxe::testing
