#include "drill_cluster/scaled_system.h"

#include <doctest/doctest.h>

#include <set>

#include "adapters/redis/redis_cluster_slot.h"

namespace wanderluxe::testing {
namespace {

using std::chrono::seconds;

constexpr seconds kAssignBound{120};
// A gateway refuses (503) until its producer holds an idempotence id.
constexpr int kProbeAttempts = 120;
// The last slot of each master's range but the last, as redis-cli --cluster
// create splits them over three masters.
constexpr int kRangeEnds[] = {5460, 10922};

}  // namespace

ScaledSystem StartScaledSystem(DrillEnv& env, int gateways, int processors) {
  ScaledSystem system;
  env.StartBank();
  env.StartAudit();
  for (int n = 1; n <= processors; ++n) {
    system.processors.push_back("processor-" + std::to_string(n));
    system.children[system.processors.back()] = &env.StartProcessor(system.processors.back());
  }
  REQUIRE_MESSAGE(env.WaitAssigned(system.processors, kAssignBound),
                  "the processors did not all join their group; see ", env.dir());
  for (int n = 1; n <= gateways; ++n) {
    system.gateways.push_back(n == 1 ? "gateway" : "gateway-" + std::to_string(n));
    system.children[system.gateways.back()] = &env.StartNamedGateway(system.gateways.back());
    system.urls.push_back(env.NamedGatewayUrl(system.gateways.back()));
  }
  // One client per gateway (client c starts on urls[c]), one key each.
  RetryingHerdOptions probe;
  probe.urls = system.urls;
  probe.property_id = env.Property("probe", gateways);
  probe.id_prefix = "probe";
  probe.clients = gateways;
  probe.keys_per_client = 1;
  probe.max_attempts = kProbeAttempts;
  probe.resend_every = 0;
  probe.retry_on = {0, 409, 503, 504};
  for (const KeyOutcome& key : RetryingHerd(probe).Wait().keys) {
    REQUIRE_MESSAGE(key.final_status == 202, "a probe booking was answered ", key.final_status,
                    " after ", key.attempts, " attempts; see ", env.dir());
  }
  return system;
}

RetryingHerdOptions HerdThrough(const ScaledSystem& system,
                                const std::vector<std::string>& properties) {
  RetryingHerdOptions options;
  options.urls = system.urls;
  options.properties = properties;
  options.resend_every = 0;
  options.retry_on = {0, 409, 504};
  return options;
}

std::vector<std::string> SpreadProperties(DrillEnv& env, int count, int64_t units) {
  std::vector<std::string> properties;
  for (int n = 0; n < count; ++n)
    properties.push_back(env.Property("s" + std::to_string(n), units));
  return properties;
}

int64_t SumOverProcessors(DrillEnv& env, const std::vector<std::string>& processors,
                          const std::string& metric) {
  int64_t sum = 0;
  for (const std::string& name : processors)
    sum += std::max<int64_t>(0, env.ProcessorMetric(name, metric));
  return sum;
}

std::map<std::string, BookingStatus> LedgerStatuses(DrillEnv& env,
                                                    const std::vector<std::string>& properties) {
  std::map<std::string, BookingStatus> all;
  for (const std::string& property : properties) {
    auto statuses = env.ledger().StatusByBooking(property);
    REQUIRE_MESSAGE(statuses.ok(), "ledger of ", property, ": ", statuses.status().ToString());
    all.insert(statuses->begin(), statuses->end());
  }
  return all;
}

std::vector<int> PartitionsHit(const std::vector<ConsumedEvent>& messages) {
  std::set<int> hit;
  for (const ConsumedEvent& m : messages) hit.insert(m.partition);
  return {hit.begin(), hit.end()};
}

std::vector<int> SlotRangesHit(const std::vector<std::string>& properties) {
  std::set<int> hit;
  for (const std::string& p : properties) {
    const int slot = RedisKeySlot(p);
    hit.insert(slot <= kRangeEnds[0] ? 0 : slot <= kRangeEnds[1] ? 1 : 2);
  }
  return {hit.begin(), hit.end()};
}

}  // namespace wanderluxe::testing
