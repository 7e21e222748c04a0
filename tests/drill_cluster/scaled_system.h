// The system outgrown one machine (issue 30): several gateways behind one
// address and several processors in one group, plus the bank and the audit,
// on one DrillEnv; and properties spread over the whole keyspace. Shared by
// the scale drill and the nemesis.
#ifndef WANDERLUXE_TESTS_DRILL_CLUSTER_SCALED_SYSTEM_H_
#define WANDERLUXE_TESTS_DRILL_CLUSTER_SCALED_SYSTEM_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "support/drill_env.h"
#include "support/retrying_herd.h"
#include "wanderluxe/booking.h"

namespace wanderluxe::testing {

struct ScaledSystem {
  std::vector<std::string> gateways;              // log names: "gateway", "gateway-2", ...
  std::vector<std::string> processors;            // log names: "processor-1", ...
  std::vector<std::string> urls;                  // the gateways' URLs, in order
  std::map<std::string, ChildProcess*> children;  // log name -> its process (owned by the env)
};

// Starts the bank, the audit, `processors` processors (waited for until the
// whole group is assigned) and `gateways` gateways, then books one probe
// through each gateway (retried on 503 until its producer is ready, bounded).
ScaledSystem StartScaledSystem(DrillEnv& env, int gateways, int processors);

// A herd over `properties` (its n-th key books properties[n % size]) through
// every gateway of `system`: no answer, a 409 and a 504 are retried with the
// same key, a 503 is final ("not recorded").
RetryingHerdOptions HerdThrough(const ScaledSystem& system,
                                const std::vector<std::string>& properties);

// `count` fresh properties of `units` each. Their ids hash anywhere: over
// 200 of them cover every Redis master's slots and every partition.
std::vector<std::string> SpreadProperties(DrillEnv& env, int count, int64_t units);

// Sum of a metric over the named processors that answer.
int64_t SumOverProcessors(DrillEnv& env, const std::vector<std::string>& processors,
                          const std::string& metric);

// bookingId -> status of every booking of `properties` in the ledger.
std::map<std::string, BookingStatus> LedgerStatuses(DrillEnv& env,
                                                    const std::vector<std::string>& properties);

// The partitions of a topic that hold a message, and the Redis masters (of
// the cluster's three default slot ranges) whose slots hold a property.
std::vector<int> PartitionsHit(const std::vector<ConsumedEvent>& messages);
std::vector<int> SlotRangesHit(const std::vector<std::string>& properties);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_DRILL_CLUSTER_SCALED_SYSTEM_H_
