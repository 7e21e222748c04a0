// Servers of a drill's own: the real Redis, Kafka, PostgreSQL and FerretDB of
// scripts/stack, started under a private state directory on free loopback
// ports, so that a drill may SIGKILL one without disturbing any other test.
// Everything goes through scripts/stack, as an operator would do it: `up`
// waits for a real protocol answer, `down` stops what this stack started.
#ifndef WANDERLUXE_TESTS_SUPPORT_PRIVATE_STACK_H_
#define WANDERLUXE_TESTS_SUPPORT_PRIVATE_STACK_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "support/server_signals.h"
#include "support/stack_script.h"

namespace wanderluxe::testing {

class PrivateStack {
 public:
  // The servers scripts/stack knows, in its start order.
  static const std::vector<std::string>& AllServers();

  // Starts `servers` (any of AllServers(); "ferretdb" brings its "postgres")
  // under `dir`, each on a free loopback port, and waits until each is ready.
  // A server that does not come up is a REQUIRE failure with scripts/stack's
  // output. `delete_dir`: the destructor removes `dir` once the servers stopped.
  // `secure`: `scripts/stack up --secure`, every server asking for the
  // credentials it generated (Sets and SecretSets carry them to the roles).
  PrivateStack(std::vector<std::string> servers, std::string dir, bool delete_dir = true,
               bool secure = false);
  // `scripts/stack down` for every server started here, then `dir` (if asked).
  ~PrivateStack();

  PrivateStack(const PrivateStack&) = delete;
  PrivateStack& operator=(const PrivateStack&) = delete;

  bool Has(const std::string& server) const;
  // The port a server listens on (postgres: its SQL port; ferretdb: the Mongo one).
  int Port(const std::string& server) const;
  // The server's real process: the pid scripts/stack recorded (postgres: the postmaster).
  pid_t Pid(const std::string& server) const;

  // SIGKILL of the server's process, as a crash would; returns once the
  // process (and, for postgres, every child of the postmaster) is gone, so
  // that a restart finds no owner of its port, lock file or shared memory.
  void Kill(const std::string& server);
  // `scripts/stack up server`: starts it again on the same port and state,
  // and waits until it answers. Returns the seconds it took.
  double Restart(const std::string& server);
  // SIGSTOP of the server's process, as a machine that stalls (a long GC, a
  // hung disk, a paused VM): its sockets stay open and what clients sent sits
  // unread until Thaw. Returns once the kernel reports it stopped.
  void Freeze(const std::string& server);
  // SIGCONT: the frozen server goes on from where it stopped; returns once
  // the kernel reports it running again.
  void Thaw(const std::string& server);

  // section.key=value overrides that point a role at these servers (in secure
  // mode with the protocols and user names, but not the passwords).
  std::vector<std::string> Sets() const;
  // The passwords, as WANDERLUXE_* variables for a role's environment.
  std::map<std::string, std::string> SecretEnvironment() const;
  // The same passwords as section.key=value, for this process's own clients.
  std::vector<std::string> SecretSets() const;
  bool secure() const { return secure_; }
  const std::string& user() const { return user_; }
  const std::string& password() const { return password_; }
  const std::string& dir() const { return dir_; }

 private:
  std::vector<std::string> servers_;  // in start order
  std::string dir_;
  bool delete_dir_;
  bool secure_ = false;
  std::string user_, password_;  // secure mode: from <dir>/secrets.env
  // Every variable scripts/stack reads a port from, all of them set, so that
  // no command of this stack can reach the live servers' default ports.
  std::map<std::string, int> ports_;
  std::unique_ptr<StackScript> script_;
  StoppedServers stopped_;  // Freeze without Thaw yet: thawed by the destructor
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_PRIVATE_STACK_H_
