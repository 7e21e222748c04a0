#include "support/child_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <ctime>

#include "support/build_paths.h"

namespace wanderluxe::testing {

ChildProcess::ChildProcess(const std::vector<std::string>& args, const std::string& log_path,
                           const std::map<std::string, std::string>& env) {
  std::vector<char*> argv;
  std::string binary = BinaryPath();
  const std::string& source_dir = SourceDir();  // read before fork: the child only uses it
  argv.push_back(binary.data());
  std::vector<std::string> copy = args;
  for (auto& a : copy) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    chdir(source_dir.c_str());
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
    // The child must not inherit the test's blocked signal mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

void ChildProcess::Signal(int signo) {
  if (pid_ > 0 && !reaped_) kill(pid_, signo);
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
  if (reaped_) return exit_status_;  // waited for already: waitpid would fail now
  std::optional<int> result;
  WaitUntil(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          reaped_ = true;
          result = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        return result.has_value();
      },
      timeout);
  exit_status_ = result;
  return result;
}

}  // namespace wanderluxe::testing
