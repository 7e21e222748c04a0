#include "roles/processor/booking_processor.h"

#include <spdlog/spdlog.h>

#include "wanderluxe/check.h"

namespace wanderluxe {

using Clock = std::chrono::steady_clock;

// Dead-letter publishes retry with this backoff until Kafka takes them.
const RetryPolicy kDeadLetterRetry{std::chrono::milliseconds(100), std::chrono::milliseconds(5000),
                                   2, 20};
// How long a dead-letter publish may wait for Kafka's acknowledgement.
constexpr std::chrono::seconds kDeadLetterPublishTimeout{10};
// Between runs of a booking that could be neither processed nor parked.
const RetryPolicy kParkRetry{std::chrono::milliseconds(500), std::chrono::milliseconds(10000), 2,
                             20};
// What Run polls for at most before it looks at backpressure and commits.
constexpr std::chrono::milliseconds kPollTimeout{100};
// After a drain timed out, how long interrupted sagas get to notice the stop.
constexpr std::chrono::seconds kInterruptGrace{10};

ProcessorOptions ProcessorOptions::From(const Config& config) {
  const ProcessorConfig& p = config.processor;
  return {config.kafka.requests_topic,
          config.kafka.dlq_topic,
          static_cast<int>(p.workers),
          static_cast<size_t>(p.queue_capacity),
          static_cast<size_t>(p.queue_low_water),
          std::chrono::milliseconds(p.commit_interval_ms),
          std::chrono::milliseconds(p.drain_timeout_ms)};
}

BookingProcessor::BookingProcessor(ProcessorOptions options, BookingSaga& saga,
                                   EventProducer& dlq_producer, MetricsRegistry& metrics)
    : options_(std::move(options)),
      saga_(saga),
      dlq_producer_(dlq_producer),
      queue_depth_(metrics.GetGauge("processor_queue_depth", "events waiting for a worker")),
      in_flight_(metrics.GetGauge("processor_in_flight", "sagas running now")),
      dead_lettered_(metrics.GetCounter("processor_dead_lettered_total",
                                        "poison events sent to the dead-letter topic")),
      pauses_(metrics.GetCounter("processor_pauses_total",
                                 "times the queue filled and partitions were paused")),
      revoke_seconds_(metrics.GetHistogram("processor_revoke_seconds",
                                           "time a revoke waited for its partitions' sagas")) {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { Work(); });
}

BookingProcessor::~BookingProcessor() {
  saga_stop_ = true;
  workers_exit_ = true;
  work_cv_.SignalAll();
  for (auto& w : workers_) w.join();
}

size_t BookingProcessor::queue_depth() const {
  MutexLock lock(&mu_);
  return queue_.size();
}

void BookingProcessor::Run(const std::atomic<bool>& stop) {
  auto last_commit = Clock::now();
  while (!stop.load()) {
    auto polled = consumer_->Poll(kPollTimeout);
    if (!polled.ok()) {
      spdlog::warn("poll: {}", polled.status().ToString());
    } else if (polled->has_value()) {
      Dispatch(std::move(**polled));
    }
    ApplyBackpressure();
    if (Clock::now() - last_commit >= options_.commit_interval) {
      CommitWatermarks();
      last_commit = Clock::now();
    }
  }
  Drain();
}

void BookingProcessor::Dispatch(ConsumedEvent raw) {
  const TopicPartition tp{raw.topic, raw.partition};
  auto decoded = DecodeBookingEvent(raw.value);
  MutexLock lock(&mu_);
  auto it = partitions_.find(tp);
  if (it == partitions_.end() || it->second.revoking) return;  // the new owner gets it
  it->second.tracker.Dispatched(raw.offset);
  Task task{std::move(raw), {}, "", it->second.epoch};
  if (decoded.ok()) {
    task.event = std::move(*decoded);
  } else {
    task.poison = decoded.status().message();  // a worker dead-letters it
  }
  queue_.push_back(std::move(task));
  queue_depth_->Set(static_cast<int64_t>(queue_.size()));
  work_cv_.Signal();
}

void BookingProcessor::Work() {
  while (true) {
    mu_.Lock();
    work_cv_.Wait([&]() REQUIRES(mu_) { return workers_exit_.load() || !queue_.empty(); });
    if (workers_exit_.load()) {
      mu_.Unlock();
      return;
    }
    Task task = std::move(queue_.front());
    queue_.pop_front();
    queue_depth_->Set(static_cast<int64_t>(queue_.size()));
    // kOneBookingAtATime: a booking's events take turns in its lane.
    const std::string booking_id = task.poison.empty() ? task.event.request.booking_id : "";
    if (!booking_id.empty()) {
      auto lane = waiting_by_booking_.find(booking_id);
      if (lane != waiting_by_booking_.end() && !task.owns_lane) {
        lane->second.push_back(std::move(task));  // an earlier event of it is running
        mu_.Unlock();
        continue;
      }
      waiting_by_booking_[booking_id];  // the booking's lane: it is running now
    }
    const TopicPartition tp{task.raw.topic, task.raw.partition};
    auto it = partitions_.find(tp);
    if (it == partitions_.end() || it->second.epoch != task.epoch || it->second.revoking) {
      if (!booking_id.empty()) HandOverBooking(booking_id);
      idle_cv_.SignalAll();
      mu_.Unlock();
      continue;  // revoked: the partition's new owner processes it
    }
    ++it->second.running;
    in_flight_->Set(++running_);
    mu_.Unlock();

    const bool done = Execute(task);

    mu_.Lock();
    if (!booking_id.empty()) HandOverBooking(booking_id);
    in_flight_->Set(--running_);
    // Counted against the assignment it ran under, even while it is being
    // revoked: the revoke waits for exactly these and commits what they did.
    it = partitions_.find(tp);
    if (it != partitions_.end() && it->second.epoch == task.epoch) {
      --it->second.running;
      WL_CHECK(it->second.running >= 0, "kWatermark: running sagas never below zero");
      if (done) it->second.tracker.Done(task.raw.offset);
    }
    idle_cv_.SignalAll();
    mu_.Unlock();
  }
}

bool BookingProcessor::Execute(const Task& task) {
  if (!task.poison.empty()) return SendToDeadLetters(task.raw, task.poison);
  const BookingRequest& r = task.event.request;
  Backoff backoff(kParkRetry);
  while (true) {
    auto result = saga_.Process(task.event, saga_stop_);
    if (result.ok()) return true;
    if (saga_stop_.load()) return false;  // interrupted: redelivered to whoever owns it next
    // Not transient (the saga retries those itself) and tried
    // saga.max_attempts times: this booking cannot be processed. Park it
    // rather than hold the partition's watermark forever.
    spdlog::error("booking {} failed: {}; parking it", r.booking_id, result.status().ToString());
    std::string why = result.status().ToString();
    Status parked = saga_.Park(r, why, saga_stop_);
    // kNoLostAcceptance: the event leaves for the DLQ (and its offset is
    // committed) only once the ledger holds the booking — parked, or left to
    // the reconciler (kFailedPrecondition). A ledger that cannot record it at
    // all is an outage: the booking runs again, the offset held meanwhile.
    if (parked.ok() || parked.code() == StatusCode::kFailedPrecondition) {
      if (!parked.ok()) why += "; not parked: " + parked.ToString();
      return SendToDeadLetters(task.raw, why);
    }
    spdlog::warn("booking {} neither processed nor parked ({}); running it again", r.booking_id,
                 parked.ToString());
    if (!SleepUnlessStopped(backoff.Next(), saga_stop_)) return false;
  }
}

void BookingProcessor::HandOverBooking(const std::string& booking_id) {
  auto lane = waiting_by_booking_.find(booking_id);
  if (lane == waiting_by_booking_.end()) return;
  if (lane->second.empty()) {
    waiting_by_booking_.erase(lane);
    return;
  }
  // The booking's next event goes first, ahead of everything queued, and
  // keeps the lane: later events of the booking still wait behind it.
  Task next = std::move(lane->second.front());
  lane->second.pop_front();
  next.owns_lane = true;
  queue_.push_front(std::move(next));
  work_cv_.Signal();
}

bool BookingProcessor::SendToDeadLetters(const ConsumedEvent& raw, const std::string& error) {
  dead_lettered_->Increment();
  spdlog::warn("dead-lettering {}:{}:{}: {}", raw.topic, raw.partition, raw.offset, error);
  std::vector<EventHeader> headers = raw.headers;
  headers.push_back({"error", error});
  headers.push_back({"source-topic", raw.topic});
  headers.push_back({"source-partition", std::to_string(raw.partition)});
  headers.push_back({"source-offset", std::to_string(raw.offset)});
  OutgoingEvent dead{options_.dlq_topic, raw.key, raw.value, headers};
  Backoff backoff(kDeadLetterRetry);
  // The offset is marked done only after the dead letter is durable. A worker
  // waits here, never the poll thread: polling goes on, and so does the group.
  while (true) {
    Status s = dlq_producer_.Publish(dead, kDeadLetterPublishTimeout);
    if (s.ok()) return true;
    spdlog::warn("dead-letter publish: {}", s.ToString());
    if (!SleepUnlessStopped(backoff.Next(), saga_stop_)) return false;
  }
}

void BookingProcessor::ApplyBackpressure() {
  std::vector<TopicPartition> assigned;
  size_t depth = 0;
  {
    MutexLock lock(&mu_);
    depth = queue_.size();
    for (const auto& [tp, state] : partitions_) assigned.push_back(tp);
  }
  if (paused_ && assignment_changed_) {
    (void)consumer_->Pause(assigned);  // newly assigned partitions join the pause
  }
  assignment_changed_ = false;
  if (!paused_ && depth >= options_.queue_capacity) {
    paused_ = consumer_->Pause(assigned).ok();
    pauses_->Increment();
    spdlog::info("queue full ({}): paused {} partitions", depth, assigned.size());
  } else if (paused_ && depth <= options_.queue_low_water) {
    paused_ = !consumer_->Resume(assigned).ok();
    spdlog::info("queue at {}: resumed", depth);
  }
}

void BookingProcessor::CommitWatermarks(const std::vector<TopicPartition>& only) {
  std::vector<CommitPoint> points;
  {
    MutexLock lock(&mu_);
    for (auto& [tp, state] : partitions_) {
      if (!only.empty() && std::find(only.begin(), only.end(), tp) == only.end()) continue;
      auto point = state.tracker.CommitPoint();
      if (!point || *point <= state.committed) continue;
      points.push_back({tp.topic, tp.partition, *point});
      state.committed = *point;
    }
  }
  if (points.empty()) return;
  Status s = consumer_->Commit(points);
  if (!s.ok()) {
    spdlog::warn("commit: {}", s.ToString());
    MutexLock lock(&mu_);
    for (const auto& p : points) {
      auto it = partitions_.find({p.topic, p.partition});
      if (it != partitions_.end()) it->second.committed = -1;  // try again next time
    }
  }
}

// Both callbacks run on the poll thread, inside Poll.
void BookingProcessor::OnAssigned(const std::vector<TopicPartition>& partitions) {
  MutexLock lock(&mu_);
  for (const auto& tp : partitions) {
    PartitionState& state = partitions_[tp];
    state = PartitionState{};
    state.epoch = next_epoch_++;
  }
  assignment_changed_ = true;
  spdlog::info("assigned {} partitions (now {})", partitions.size(), partitions_.size());
}

void BookingProcessor::OnRevoked(const std::vector<TopicPartition>& partitions) {
  const auto start = Clock::now();
  mu_.Lock();
  for (const auto& tp : partitions) {
    auto it = partitions_.find(tp);
    if (it != partitions_.end()) it->second.revoking = true;  // queued work is dropped
  }
  const bool drained = idle_cv_.WaitFor(options_.drain_timeout, [&]() REQUIRES(mu_) {
    for (const auto& tp : partitions) {
      auto it = partitions_.find(tp);
      if (it != partitions_.end() && it->second.running > 0) return false;
    }
    return true;
  });
  mu_.Unlock();
  CommitWatermarks(partitions);  // what finished, including during the wait
  mu_.Lock();
  for (const auto& tp : partitions) partitions_.erase(tp);
  mu_.Unlock();
  const double waited = std::chrono::duration<double>(Clock::now() - start).count();
  revoke_seconds_->Observe(waited);
  spdlog::info("revoked {} partitions in {:.3f} s{}", partitions.size(), waited,
               drained ? ""
                       : " (sagas still running past drain_timeout; their new owner waits "
                         "for their lease)");
}

void BookingProcessor::Drain() {
  {
    MutexLock lock(&mu_);
    const bool drained = idle_cv_.WaitFor(
        options_.drain_timeout, [&]() REQUIRES(mu_) { return queue_.empty() && running_ == 0; });
    spdlog::info("drain: {} ({} queued, {} running)", drained ? "complete" : "timed out",
                 queue_.size(), running_);
  }
  saga_stop_ = true;  // whatever still runs stops and stays uncommitted
  {
    MutexLock lock(&mu_);
    idle_cv_.WaitFor(kInterruptGrace, [&]() REQUIRES(mu_) { return running_ == 0; });
  }
  CommitWatermarks();
}

}  // namespace wanderluxe
