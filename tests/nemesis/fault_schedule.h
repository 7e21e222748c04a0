// The nemesis's faults (issue 30), drawn from one seed: which node or role
// each hits, how, for how long, and how long the system runs quiet before it.
// One fault at a time, healed before the next, so that each is a fault the
// system is built to survive (one broker of three, one Redis node of a
// master and replica pair, one gateway of two, one processor of three).
// The same seed gives the same schedule on every run.
#ifndef WANDERLUXE_TESTS_NEMESIS_FAULT_SCHEDULE_H_
#define WANDERLUXE_TESTS_NEMESIS_FAULT_SCHEDULE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace wanderluxe::testing {

struct Fault {
  enum class Kind {
    kKill,       // SIGKILL; restarted on its state after hold_s
    kPause,      // SIGSTOP for hold_s, longer than a saga lease; then SIGCONT
    kPartition,  // its link down for hold_s (Kafka and Redis nodes only); then healed
  };
  Kind kind = Kind::kKill;
  std::string target;  // "kafka-2", "redis-5", "gateway-2", "processor-1", ...
  double quiet_s = 0;  // before it, with every fault healed
  double hold_s = 0;
};

struct ScheduleShape {
  std::vector<std::string> nodes;  // may be killed, paused or partitioned
  std::vector<std::string> roles;  // may be killed or paused
  double lease_s = 0;              // a pause outlasts it
  double seconds = 0;              // the schedule's quiet and hold times fill this much
};

std::vector<Fault> FaultSchedule(uint64_t seed, const ScheduleShape& shape);

const char* KindName(Fault::Kind kind);
// "kill kafka-2 for 4.1 s after 9.3 s quiet", one line per fault.
std::string Describe(const Fault& fault);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_NEMESIS_FAULT_SCHEDULE_H_
