#include "roles/gateway/readiness_probe.h"

namespace wanderluxe {

ReadinessProbe::ReadinessProbe(RedisCommands& redis, EventProducer& producer,
                               std::chrono::milliseconds kafka_timeout,
                               std::chrono::milliseconds refresh)
    : redis_(redis), producer_(producer), kafka_timeout_(kafka_timeout), refresh_(refresh) {}

Readiness ReadinessProbe::Check() {
  MutexLock lock(&mu_);
  const auto now = Clock::now();
  if (checked_ && now - checked_at_ < refresh_) return last_;
  last_ = {redis_.Ping(), producer_.Ping(kafka_timeout_)};
  checked_at_ = Clock::now();
  checked_ = true;
  return last_;
}

}  // namespace wanderluxe
