#include "support/stack_script.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/build_paths.h"
#include "support/child_process.h"

namespace wanderluxe::testing {
namespace {

constexpr size_t kLogTailBytes = 4000;

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

StackScript::StackScript(std::string dir, std::map<std::string, std::string> environment)
    : dir_(std::move(dir)), environment_(std::move(environment)) {
  std::filesystem::create_directories(dir_);
}

bool StackScript::Run(const std::vector<std::string>& args, std::chrono::seconds timeout) const {
  return Execute(args, dir_ + "/stack.log", timeout);
}

std::optional<std::string> StackScript::Output(const std::vector<std::string>& args,
                                               std::chrono::seconds timeout) const {
  const std::string path = dir_ + "/stack.out";
  std::filesystem::remove(path);
  if (!Execute(args, path, timeout)) return std::nullopt;
  return ReadWhole(path);
}

bool StackScript::Execute(const std::vector<std::string>& args, const std::string& stdout_path,
                          std::chrono::seconds timeout) const {
  const std::string script = SourceDir() + "/scripts/stack";
  const std::string log = dir_ + "/stack.log";
  std::vector<std::string> words = {"bash", script};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    // Only what the servers should have: the stack's variables, the default
    // signal mask and dispositions (they inherit them), none of our fds.
    for (const auto& [variable, value] : environment_) setenv(variable.c_str(), value.c_str(), 1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int signo : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) signal(signo, SIG_DFL);
    const int out = open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const int err = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (out >= 0) dup2(out, 1);
    if (err >= 0) dup2(err, 2);
    closefrom(3);
    execv("/bin/bash", argv.data());
    _exit(127);
  }
  if (pid < 0) return false;
  int status = 0;
  const bool ended = WaitUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; }, timeout);
  if (!ended) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string StackScript::LogTail() const {
  const std::string all = ReadWhole(dir_ + "/stack.log");
  return all.size() > kLogTailBytes ? all.substr(all.size() - kLogTailBytes) : all;
}

}  // namespace wanderluxe::testing
