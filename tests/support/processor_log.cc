#include "support/processor_log.h"

#include <sstream>

namespace wanderluxe::testing {
namespace {

constexpr const char* kAssigned = "] assigned ";
constexpr const char* kRevoked = "] revoked ";
constexpr const char* kPastDrain = "still running past drain_timeout";

// The integer after `label` in `line`, or 0.
int NumberAfter(const std::string& line, const std::string& label) {
  const size_t at = line.find(label);
  return at == std::string::npos ? 0 : std::atoi(line.c_str() + at + label.size());
}

}  // namespace

int PartitionsHeld(const std::string& log) {
  std::istringstream lines(log);
  int held = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(kAssigned) != std::string::npos) held = NumberAfter(line, "(now ");
    if (line.find(kRevoked) != std::string::npos) held -= NumberAfter(line, kRevoked);
  }
  return held;
}

int Assignments(const std::string& log) {
  int n = 0;
  for (size_t at = log.find(kAssigned); at != std::string::npos; at = log.find(kAssigned, at + 1)) {
    ++n;
  }
  return n;
}

RevokeReport Revokes(const DrillEnv& env, const std::vector<std::string>& log_names) {
  RevokeReport report;
  for (const std::string& name : log_names) {
    const std::string log = env.ReadLog(name);
    for (size_t at = log.find(kPastDrain); at != std::string::npos;
         at = log.find(kPastDrain, at + 1)) {
      ++report.past_drain_timeout;
    }
    for (size_t at = log.find(kRevoked); at != std::string::npos; at = log.find(kRevoked, at + 1)) {
      report.revokes += (report.revokes.empty() ? "" : "; ") + name + ": " +
                        log.substr(at + 2, log.find(" s", log.find(" in ", at)) - at);
    }
  }
  return report;
}

}  // namespace wanderluxe::testing
