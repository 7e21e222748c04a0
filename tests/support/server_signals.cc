#include "support/server_signals.h"

#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <vector>

#include "support/child_process.h"

namespace wanderluxe::testing {
namespace {

// A SIGKILLed process is gone once its parent reaped it; here that parent is
// pid 1, which may take a moment.
constexpr std::chrono::seconds kSignalBound{30};

bool Alive(pid_t pid) { return std::filesystem::exists("/proc/" + std::to_string(pid)); }

// The one-letter state of /proc/<pid>/stat (T: stopped by a signal); '?'
// when the process is gone.
char StateOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  // "pid (comm) state ...": comm may hold spaces and parentheses.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return '?';
  return stat[close + 2];
}

// Processes whose parent is `parent` now (from /proc/<pid>/stat).
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return children;
}

void SignalAndWait(const std::string& server, pid_t pid, int signo,
                   const std::function<bool()>& done) {
  REQUIRE_MESSAGE(kill(pid, signo) == 0, "cannot send ", strsignal(signo), " to ", server, " (pid ",
                  pid, ")");
  REQUIRE_MESSAGE(WaitUntil(done, kSignalBound), server, " (pid ", pid, ") not in the state ",
                  strsignal(signo), " asks for after ", kSignalBound.count(), " s");
}

}  // namespace

void KillServer(const std::string& server, pid_t pid, bool children) {
  std::vector<pid_t> processes = children ? ChildrenOf(pid) : std::vector<pid_t>{};
  processes.push_back(pid);
  SignalAndWait(server, pid, SIGKILL,
                [&] { return std::none_of(processes.begin(), processes.end(), Alive); });
}

void StopServer(const std::string& server, pid_t pid) {
  SignalAndWait(server, pid, SIGSTOP, [pid] { return StateOf(pid) == 'T'; });
}

void ContinueServer(const std::string& server, pid_t pid) {
  SignalAndWait(server, pid, SIGCONT, [pid] { return StateOf(pid) != 'T'; });
}

void StoppedServers::Stop(const std::string& server, pid_t pid) {
  stopped_.insert(pid);
  StopServer(server, pid);
}

void StoppedServers::Continue(const std::string& server, pid_t pid) {
  ContinueServer(server, pid);
  stopped_.erase(pid);
}

void StoppedServers::ContinueAll() {
  for (const pid_t pid : stopped_) kill(pid, SIGCONT);
  stopped_.clear();
}

}  // namespace wanderluxe::testing
