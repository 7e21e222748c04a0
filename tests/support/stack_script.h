// scripts/stack as a drill runs it: under a state directory of the drill's
// own, with every port variable set, so that no command of it can reach the
// live servers' default ports. Its output is appended to <dir>/stack.log.
#ifndef WANDERLUXE_TESTS_SUPPORT_STACK_SCRIPT_H_
#define WANDERLUXE_TESTS_SUPPORT_STACK_SCRIPT_H_

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace wanderluxe::testing {

class StackScript {
 public:
  // `environment`: the variables the script reads (its state dir, its ports).
  StackScript(std::string dir, std::map<std::string, std::string> environment);

  // True when `scripts/stack args...` exited 0 within `timeout`; a script
  // still running then is SIGKILLed (the servers it started are not its children).
  bool Run(const std::vector<std::string>& args, std::chrono::seconds timeout) const;
  // Its standard output when it exited 0 within `timeout`; its standard
  // error goes to the log.
  std::optional<std::string> Output(const std::vector<std::string>& args,
                                    std::chrono::seconds timeout) const;
  // The last few kilobytes of <dir>/stack.log, for a failure message.
  std::string LogTail() const;
  const std::string& dir() const { return dir_; }

 private:
  bool Execute(const std::vector<std::string>& args, const std::string& stdout_path,
               std::chrono::seconds timeout) const;

  std::string dir_;
  std::map<std::string, std::string> environment_;
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_STACK_SCRIPT_H_
