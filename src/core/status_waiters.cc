#include "wanderluxe/status_waiters.h"

#include <algorithm>

namespace wanderluxe {

StatusWaiters::StatusWaiters(size_t max_waiters) : max_waiters_(max_waiters) {}

std::optional<StatusWaiters::Id> StatusWaiters::Register(const std::string& booking_id,
                                                         Clock::SteadyTime deadline,
                                                         WaitDone done) {
  MutexLock lock(&mu_);
  if (closed_ || waiters_.size() >= max_waiters_) {
    ++counts_.refused;
    return std::nullopt;
  }
  const Id id = next_id_++;
  waiters_.emplace(id, Waiter{booking_id, deadline, std::move(done)});
  by_booking_[booking_id].push_back(id);
  by_deadline_.emplace(deadline, id);
  return id;
}

WaitDone StatusWaiters::Remove(Id id) {
  auto it = waiters_.find(id);
  Waiter waiter = std::move(it->second);
  waiters_.erase(it);
  by_deadline_.erase({waiter.deadline, id});
  auto booking = by_booking_.find(waiter.booking_id);
  std::vector<Id>& ids = booking->second;
  ids.erase(std::find(ids.begin(), ids.end(), id));
  if (ids.empty()) by_booking_.erase(booking);
  return std::move(waiter.done);
}

void StatusWaiters::Run(std::vector<WaitDone>& ended, WaitEnd end) {
  for (WaitDone& done : ended) done(end);
}

bool StatusWaiters::Cancel(Id id) {
  MutexLock lock(&mu_);
  if (waiters_.count(id) == 0) return false;
  Remove(id);
  return true;
}

size_t StatusWaiters::Wake(const std::string& booking_id) {
  std::vector<WaitDone> ended;
  {
    MutexLock lock(&mu_);
    auto booking = by_booking_.find(booking_id);
    if (booking == by_booking_.end()) return 0;
    const std::vector<Id> ids = booking->second;  // Remove edits the index
    for (Id id : ids) ended.push_back(Remove(id));
    counts_.woken += static_cast<int64_t>(ended.size());
  }
  Run(ended, WaitEnd::kWoken);
  return ended.size();
}

size_t StatusWaiters::Expire(Clock::SteadyTime now) {
  std::vector<WaitDone> ended;
  {
    MutexLock lock(&mu_);
    while (!by_deadline_.empty() && by_deadline_.begin()->first <= now) {
      ended.push_back(Remove(by_deadline_.begin()->second));
    }
    counts_.timed_out += static_cast<int64_t>(ended.size());
  }
  Run(ended, WaitEnd::kTimedOut);
  return ended.size();
}

void StatusWaiters::Close() {
  std::vector<WaitDone> ended;
  {
    MutexLock lock(&mu_);
    closed_ = true;
    while (!waiters_.empty()) ended.push_back(Remove(waiters_.begin()->first));
    counts_.shut_down += static_cast<int64_t>(ended.size());
  }
  Run(ended, WaitEnd::kShutdown);
}

WaiterCounts StatusWaiters::counts() const {
  MutexLock lock(&mu_);
  WaiterCounts counts = counts_;
  counts.waiting = static_cast<int64_t>(waiters_.size());
  return counts;
}

}  // namespace wanderluxe
