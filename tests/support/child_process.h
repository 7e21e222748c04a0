// Runs the real `wanderluxe` binary as a child process, for tests that must
// kill a role (SIGKILL) or stop it (SIGTERM) the way an operator would.
#ifndef WANDERLUXE_TESTS_SUPPORT_CHILD_PROCESS_H_
#define WANDERLUXE_TESTS_SUPPORT_CHILD_PROCESS_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wanderluxe::testing {

class ChildProcess {
 public:
  // Starts the built `wanderluxe` (BinaryPath) with `args`; stdout and stderr go to `log_path`.
  // `env` is added to the child's environment (secrets: never on its command line).
  ChildProcess(const std::vector<std::string>& args, const std::string& log_path,
               const std::map<std::string, std::string>& env = {});
  ~ChildProcess();  // SIGKILLs a child still running

  void Signal(int signo);
  // The exit status once the child ended within `timeout`, else nothing; the
  // same status again, at once, for a child already waited for.
  std::optional<int> Wait(std::chrono::milliseconds timeout);
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
  std::optional<int> exit_status_;
};

// Polls `condition` every 50 ms until it holds or `timeout` passes.
template <typename Condition>
bool WaitUntil(Condition condition, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    struct timespec pause {
      0, 50'000'000
    };
    nanosleep(&pause, nullptr);
  }
  return true;
}

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_CHILD_PROCESS_H_
