#include "nemesis/fault_schedule.h"

#include <cstdio>

namespace wanderluxe::testing {
namespace {

// splitmix64: the schedule depends on the seed alone, not on a standard
// library's distributions.
class Draw {
 public:
  explicit Draw(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }
  // Tenths of a second in [low, high].
  double Between(double low, double high) {
    const auto tenths = static_cast<uint64_t>((high - low) * 10);
    return low + static_cast<double>(Next() % (tenths + 1)) / 10;
  }

 private:
  uint64_t state_;
};

// Quiet long enough for the herd to flow again between faults; holds long
// enough for a failover (or, paused, a lease) to run out.
constexpr double kQuietLow = 5, kQuietHigh = 15;
constexpr double kDownLow = 2, kDownHigh = 8;
constexpr double kPauseOverLeaseLow = 2, kPauseOverLeaseHigh = 6;
constexpr double kPartitionLow = 5, kPartitionHigh = 15;

}  // namespace

std::vector<Fault> FaultSchedule(uint64_t seed, const ScheduleShape& shape) {
  Draw draw(seed);
  std::vector<Fault> faults;
  const size_t targets = shape.nodes.size() + shape.roles.size();
  for (double filled = 0; filled < shape.seconds;) {
    Fault f;
    const size_t t = draw.Below(targets);
    const bool node = t < shape.nodes.size();
    f.target = node ? shape.nodes[t] : shape.roles[t - shape.nodes.size()];
    f.kind = static_cast<Fault::Kind>(draw.Below(node ? 3 : 2));
    f.quiet_s = draw.Between(kQuietLow, kQuietHigh);
    switch (f.kind) {
      case Fault::Kind::kKill:
        f.hold_s = draw.Between(kDownLow, kDownHigh);
        break;
      case Fault::Kind::kPause:
        f.hold_s = shape.lease_s + draw.Between(kPauseOverLeaseLow, kPauseOverLeaseHigh);
        break;
      case Fault::Kind::kPartition:
        f.hold_s = draw.Between(kPartitionLow, kPartitionHigh);
        break;
    }
    filled += f.quiet_s + f.hold_s;
    faults.push_back(f);
  }
  return faults;
}

const char* KindName(Fault::Kind kind) {
  switch (kind) {
    case Fault::Kind::kKill:
      return "kill";
    case Fault::Kind::kPause:
      return "pause";
    case Fault::Kind::kPartition:
      return "partition";
  }
  return "?";
}

std::string Describe(const Fault& fault) {
  char line[160];
  std::snprintf(line, sizeof line, "%s %s for %.1f s after %.1f s quiet", KindName(fault.kind),
                fault.target.c_str(), fault.hold_s, fault.quiet_s);
  return line;
}

}  // namespace wanderluxe::testing
