#include "fakes/fake_consumer.h"

#include <algorithm>

namespace wanderluxe::fakes {

void FakeConsumer::SetListener(RebalanceListener* listener) {
  std::lock_guard lock(mu_);
  listener_ = listener;
}

void FakeConsumer::CreateTopic(const std::string& topic, int partitions) {
  std::lock_guard lock(mu_);
  topics_[topic].resize(static_cast<size_t>(partitions));
}

int64_t FakeConsumer::Produce(const std::string& topic, int32_t partition, const std::string& key,
                              const std::string& value) {
  std::lock_guard lock(mu_);
  auto& log = topics_.at(topic).at(static_cast<size_t>(partition));
  const auto offset = static_cast<int64_t>(log.size());
  log.push_back({topic, partition, offset, key, value, {}, 0});
  changed_.notify_all();
  return offset;
}

void FakeConsumer::Rebalance(std::vector<TopicPartition> assignment, Protocol protocol) {
  std::lock_guard lock(mu_);
  pending_ = Pending{std::move(assignment), protocol, false};
  changed_.notify_all();
}

void FakeConsumer::HoldJoin(bool held) {
  std::lock_guard lock(mu_);
  join_held_ = held;
  changed_.notify_all();
}

Status FakeConsumer::Subscribe(const std::vector<std::string>& topics) {
  std::lock_guard lock(mu_);
  std::vector<TopicPartition> all;
  for (const auto& topic : topics) {
    auto it = topics_.find(topic);
    if (it == topics_.end()) continue;  // an unknown topic assigns nothing
    for (size_t p = 0; p < it->second.size(); ++p) all.push_back({topic, static_cast<int32_t>(p)});
  }
  if (!pending_) pending_ = Pending{std::move(all), Protocol::kEager, false};
  changed_.notify_all();
  return Status::Ok();
}

bool FakeConsumer::RebalanceDueLocked() const {
  if (!pending_) return false;
  return !(pending_->protocol == Protocol::kEager && pending_->revoked && join_held_);
}

bool FakeConsumer::ServeRebalance() {
  std::vector<TopicPartition> revoke, assign;
  bool assign_now = false;
  RebalanceListener* listener = nullptr;
  {
    std::lock_guard lock(mu_);
    if (!RebalanceDueLocked()) return false;
    listener = listener_;
    Pending& p = *pending_;
    if (p.protocol == Protocol::kCooperative) {
      const std::set<TopicPartition> wanted(p.assignment.begin(), p.assignment.end());
      for (const auto& [tp, a] : assigned_) {
        if (!wanted.count(tp)) revoke.push_back(tp);
      }
      for (const auto& tp : p.assignment) {
        if (!assigned_.count(tp)) assign.push_back(tp);
      }
      assign_now = true;
    } else if (!p.revoked) {
      for (const auto& [tp, a] : assigned_) revoke.push_back(tp);
      p.revoked = true;
      // Nothing owned (the first join): no revoke, the assign follows the join.
      assign_now = revoke.empty() && !join_held_;
    } else {
      assign_now = true;
    }
    if (assign_now && p.protocol == Protocol::kEager) assign = p.assignment;
    if (!revoke.empty()) ++revokes_started_;
  }
  // The listener runs with no lock held: it commits, pauses and resumes here.
  if (!revoke.empty() && listener != nullptr) listener->OnRevoked(revoke);
  {
    std::lock_guard lock(mu_);
    // The library forgets the assignment (and its own pause), never the
    // application's pause flag on the partition object.
    for (const auto& tp : revoke) assigned_.erase(tp);
    if (!assign_now) return true;  // eager: the assign comes at a later Poll
    pending_.reset();
  }
  if (listener != nullptr && !assign.empty()) listener->OnAssigned(assign);
  std::lock_guard lock(mu_);
  AssignLocked(assign);
  ++assigns_done_;
  return true;
}

void FakeConsumer::AssignLocked(const std::vector<TopicPartition>& partitions) {
  for (const auto& tp : partitions) {
    auto c = committed_.find(tp);
    const int64_t start = c != committed_.end() ? c->second : 0;  // auto.offset.reset=earliest
    assigned_[tp] = {start, start};
    known_.insert(tp);
    if (all_paused_) app_paused_.insert(tp);
  }
}

std::optional<ConsumedEvent> FakeConsumer::NextLocked() {
  if (assigned_.empty()) return std::nullopt;
  std::vector<TopicPartition> order;
  for (const auto& [tp, a] : assigned_) order.push_back(tp);
  for (size_t i = 0; i < order.size(); ++i) {
    const TopicPartition& tp = order[(next_partition_ + i) % order.size()];
    if (app_paused_.count(tp)) continue;
    Assigned& a = assigned_[tp];
    const auto& log = topics_.at(tp.topic).at(static_cast<size_t>(tp.partition));
    if (a.position >= static_cast<int64_t>(log.size())) continue;
    next_partition_ = (next_partition_ + i + 1) % order.size();
    ++deliveries_[{tp, a.position}];
    return log[static_cast<size_t>(a.position++)];
  }
  return std::nullopt;
}

Result<std::optional<ConsumedEvent>> FakeConsumer::Poll(std::chrono::milliseconds timeout) {
  {
    std::lock_guard lock(mu_);
    ++polls_;
  }
  if (ServeRebalance()) return std::optional<ConsumedEvent>();
  std::unique_lock lock(mu_);
  std::optional<ConsumedEvent> event;
  changed_.wait_for(lock, timeout, [&] {
    event = NextLocked();
    return event.has_value() || RebalanceDueLocked();
  });
  return event;
}

Status FakeConsumer::Commit(const std::vector<CommitPoint>& points) {
  std::lock_guard lock(mu_);
  for (const auto& p : points) committed_[{p.topic, p.partition}] = p.offset;
  return Status::Ok();
}

void FakeConsumer::Close() {
  std::vector<TopicPartition> revoke;
  RebalanceListener* listener = nullptr;
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    for (const auto& [tp, a] : assigned_) revoke.push_back(tp);
    listener = listener_;
  }
  // rd_kafka_consumer_close revokes what is owned, through the listener.
  if (!revoke.empty() && listener != nullptr) listener->OnRevoked(revoke);
  std::lock_guard lock(mu_);
  assigned_.clear();
}

Status FakeConsumer::Pause(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(mu_);
  for (const auto& tp : partitions) {
    if (known_.count(tp)) app_paused_.insert(tp);
  }
  return Status::Ok();
}

Status FakeConsumer::PauseAll() {
  std::lock_guard lock(mu_);
  all_paused_ = true;
  for (const auto& [tp, unused] : assigned_) app_paused_.insert(tp);
  return Status::Ok();
}

Status FakeConsumer::ResumeAll() {
  std::lock_guard lock(mu_);
  all_paused_ = false;
  app_paused_.clear();
  changed_.notify_all();
  return Status::Ok();
}

Status FakeConsumer::Resume(const std::vector<TopicPartition>& partitions) {
  std::lock_guard lock(mu_);
  for (const auto& tp : partitions) {
    if (!known_.count(tp)) continue;
    if (app_paused_.erase(tp)) continue;
    // Not paused: the version barrier moves the fetch back to its start.
    auto a = assigned_.find(tp);
    if (a != assigned_.end()) a->second.position = a->second.fetch_start;
  }
  changed_.notify_all();
  return Status::Ok();
}

Result<Watermarks> FakeConsumer::QueryWatermarks(const TopicPartition& tp,
                                                 std::chrono::milliseconds) {
  std::lock_guard lock(mu_);
  auto it = topics_.find(tp.topic);
  if (it == topics_.end() || tp.partition < 0 ||
      static_cast<size_t>(tp.partition) >= it->second.size()) {
    return Status::NotFound("no partition " + tp.topic + ":" + std::to_string(tp.partition));
  }
  return Watermarks{0, static_cast<int64_t>(it->second[static_cast<size_t>(tp.partition)].size())};
}

Result<int64_t> FakeConsumer::QueryCommitted(const TopicPartition& tp, std::chrono::milliseconds) {
  return Committed(tp);
}

bool FakeConsumer::AppPaused(const TopicPartition& tp) const {
  std::lock_guard lock(mu_);
  return app_paused_.count(tp) > 0;
}

std::vector<TopicPartition> FakeConsumer::Assignment() const {
  std::lock_guard lock(mu_);
  std::vector<TopicPartition> out;
  for (const auto& [tp, a] : assigned_) out.push_back(tp);
  return out;
}

int64_t FakeConsumer::Committed(const TopicPartition& tp) const {
  std::lock_guard lock(mu_);
  auto it = committed_.find(tp);
  return it == committed_.end() ? -1 : it->second;
}

int FakeConsumer::Polls() const {
  std::lock_guard lock(mu_);
  return polls_;
}

int FakeConsumer::RevokesStarted() const {
  std::lock_guard lock(mu_);
  return revokes_started_;
}

int FakeConsumer::AssignsDone() const {
  std::lock_guard lock(mu_);
  return assigns_done_;
}

int FakeConsumer::Deliveries(const TopicPartition& tp, int64_t offset) const {
  std::lock_guard lock(mu_);
  auto it = deliveries_.find({tp, offset});
  return it == deliveries_.end() ? 0 : it->second;
}

}  // namespace wanderluxe::fakes
