// Signals to a server's process as a drill sends them (a crash, a stall, a
// resume), each returning only once the kernel shows its effect, so that what
// the drill does next meets the state it asked for.
#ifndef WANDERLUXE_TESTS_SUPPORT_SERVER_SIGNALS_H_
#define WANDERLUXE_TESTS_SUPPORT_SERVER_SIGNALS_H_

#include <sys/types.h>

#include <set>
#include <string>

namespace wanderluxe::testing {

// SIGKILL; returns once the process is gone, and with `children` every
// process it was the parent of too (a postmaster's backends hold its shared
// memory), so that a restart finds no owner of its port, lock file or memory.
// A process that stays is a REQUIRE failure naming `server`.
void KillServer(const std::string& server, pid_t pid, bool children = false);
// SIGSTOP; returns once the kernel reports it stopped.
void StopServer(const std::string& server, pid_t pid);
// SIGCONT; returns once the kernel reports it running again.
void ContinueServer(const std::string& server, pid_t pid);

// The servers a drill stopped and has not continued yet, so that its
// servers' owner continues them before stopping them for good: a stopped
// process would hold a clean shutdown until its bound.
class StoppedServers {
 public:
  void Stop(const std::string& server, pid_t pid);
  void Continue(const std::string& server, pid_t pid);
  // SIGCONT to every one still stopped; no waiting, no assertion (for a destructor).
  void ContinueAll();

 private:
  std::set<pid_t> stopped_;
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_SERVER_SIGNALS_H_
