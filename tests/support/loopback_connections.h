// What the kernel says about TCP connections to a port on this machine
// (/proc/net/tcp and tcp6), for tests that count the connections a client
// opened to a server they do not control, such as a role run as a child.
//
// Thread safety: stateless; reads /proc on every call.
#ifndef WANDERLUXE_TESTS_SUPPORT_LOOPBACK_CONNECTIONS_H_
#define WANDERLUXE_TESTS_SUPPORT_LOOPBACK_CONNECTIONS_H_

#include <set>

namespace wanderluxe::testing {

// The client-side ports of every connection to `server_port` the kernel
// still knows, from either end and in any state but LISTEN (TIME_WAIT too):
// a connection closed in the last minute is still counted, so the difference
// of two calls counts the connections opened between them.
std::set<int> ClientPortsOf(int server_port);

// Client-side sockets to `server_port` that are ESTABLISHED now.
int EstablishedClientsOf(int server_port);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_LOOPBACK_CONNECTIONS_H_
