#include "roles/processor/booking_processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "wanderluxe/check.h"

namespace wanderluxe {

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
// While events wait for a batch, Run polls at least this briefly (a linger
// of 0 would otherwise spin).
constexpr std::chrono::milliseconds kMinPollTimeout{1};
// Batches of one partition in flight at once. A batch's time is mostly
// FerretDB's insert, so one at a time leaves cores idle while it waits; a few
// overlap it with the next batches' decides (DESIGN.md "Batches").
constexpr int kBatchesInFlight = 3;
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
          std::chrono::milliseconds(p.drain_timeout_ms),
          static_cast<size_t>(p.batch_max),
          std::chrono::milliseconds(p.batch_linger_ms)};
}

BookingProcessor::BookingProcessor(ProcessorOptions options, BookingSaga& saga,
                                   EventProducer& dlq_producer, MetricsRegistry& metrics)
    : options_(std::move(options)),
      saga_(saga),
      batches_(saga),
      dlq_producer_(dlq_producer),
      queue_depth_(metrics.GetGauge("processor_queue_depth", "events waiting for a worker")),
      batches_total_(metrics.GetCounter("processor_batches_total", "batches of events admitted")),
      batched_events_(
          metrics.GetCounter("processor_batched_events_total", "events admitted in batches")),
      in_flight_(metrics.GetGauge("processor_in_flight", "sagas running now")),
      assigned_(metrics.GetGauge("processor_assigned_partitions",
                                 "partitions of the requests topic this processor owns")),
      dead_lettered_(metrics.GetCounter("processor_dead_lettered_total",
                                        "poison events sent to the dead-letter topic")),
      pauses_(metrics.GetCounter("processor_pauses_total",
                                 "times the queue filled and partitions were paused")),
      revoke_seconds_(metrics.GetHistogram("processor_revoke_seconds",
                                           "time a revoke waited for its partitions' sagas")) {
  for (int i = 0; i < options_.workers; ++i) workers_.emplace_back([this] { Work(); });
  saga_.LendDrivers([this](size_t waiting) { LendWorkers(waiting); });
}

BookingProcessor::~BookingProcessor() {
  saga_.LendDrivers({});
  saga_stop_ = true;
  workers_exit_ = true;
  work_cv_.SignalAll();
  for (auto& w : workers_) w.join();
}

size_t BookingProcessor::queue_depth() const {
  MutexLock lock(&mu_);
  return queue_.size() + waiting_;
}

void BookingProcessor::Run(const std::atomic<bool>& stop) {
  auto last_commit = Clock::now();
  while (!stop.load()) {
    auto polled = consumer_->Poll(PollTimeout());
    if (!polled.ok()) {
      spdlog::warn("poll: {}", polled.status().ToString());
    } else if (polled->has_value()) {
      Dispatch(std::move(**polled));
    }
    ScheduleLingeringBatches(/*all=*/false);
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
  PartitionState& state = it->second;
  state.tracker.Dispatched(raw.offset);
  state.read_at = Clock::now();
  state.next_offset = raw.offset + 1;
  Task task{std::move(raw), {}, "", state.epoch};
  if (!decoded.ok()) {
    task.poison = decoded.status().message();  // a worker dead-letters it
    queue_.push_back(std::move(task));
    queue_depth_->Set(static_cast<int64_t>(queue_.size() + waiting_));
    work_cv_.Signal();
    return;
  }
  task.event = std::move(*decoded);
  if (state.waiting.empty()) state.first_waiting = Clock::now();
  state.waiting.push_back(std::move(task));
  ++waiting_;
  queue_depth_->Set(static_cast<int64_t>(queue_.size() + waiting_));
  if (state.waiting.size() >= options_.batch_max) ScheduleBatch(tp, state);
}

void BookingProcessor::ScheduleBatch(const TopicPartition& tp, PartitionState& state) {
  if (state.deciding || state.batches >= kBatchesInFlight || state.waiting.empty()) return;
  state.deciding = true;
  ++state.batches;
  Task batch{};
  batch.raw.topic = tp.topic;
  batch.raw.partition = tp.partition;
  batch.epoch = state.epoch;
  batch.batch = true;
  // Ahead of sagas: a batch decides many bookings (most of them at once).
  queue_.push_front(std::move(batch));
  work_cv_.Signal();
}

void BookingProcessor::ScheduleLingeringBatches(bool all) {
  MutexLock lock(&mu_);
  if (waiting_ == 0) return;
  const auto now = Clock::now();
  for (auto& [tp, state] : partitions_) {
    if (state.waiting.empty() || state.revoking) continue;
    if (all || now - state.first_waiting >= options_.batch_linger) ScheduleBatch(tp, state);
  }
}

std::chrono::milliseconds BookingProcessor::PollTimeout() {
  MutexLock lock(&mu_);
  if (waiting_ == 0) return kPollTimeout;
  return std::clamp(options_.batch_linger, kMinPollTimeout, kPollTimeout);
}

void BookingProcessor::RunBatch(const Task& batch_task) {
  const TopicPartition tp{batch_task.raw.topic, batch_task.raw.partition};
  std::vector<Task> tasks;
  std::set<std::string> in_flight;  // bookings of earlier batches not yet handed over
  uint64_t sequence = 0;
  {
    MutexLock lock(&mu_);
    auto it = partitions_.find(tp);
    if (it == partitions_.end() || it->second.epoch != batch_task.epoch) return;
    PartitionState& state = it->second;
    if (state.revoking) {
      --state.batches;
      state.deciding = false;
      idle_cv_.SignalAll();
      return;
    }
    while (!state.waiting.empty() && tasks.size() < options_.batch_max) {
      tasks.push_back(std::move(state.waiting.front()));
      state.waiting.pop_front();
    }
    waiting_ -= tasks.size();
    // kNotTwiceInFlight: a booking with a lane has an earlier event in flight
    // (in a batch not yet handed over, queued, running, or waiting in the
    // lane), so this batch neither reads nor reserves it: its event goes the
    // one-by-one way, behind the earlier one. The lane outlives the hand-over
    // (an event handed over undecided after a failed Record has no record
    // yet) and the assignment (lanes are the processor's, not the
    // partition's: an old assignment's batch past drain_timeout still holds
    // its bookings when the partition comes back to this member).
    for (const Task& t : tasks) {
      const std::string& id = t.event.request.booking_id;
      if (waiting_by_booking_.count(id)) in_flight.insert(id);
    }
    // The rest get their lane now, held by their first event here until that
    // event ends (kOneBookingAtATime).
    for (Task& t : tasks) {
      const std::string& id = t.event.request.booking_id;
      if (in_flight.count(id) || waiting_by_booking_.count(id)) continue;
      waiting_by_booking_[id];
      t.owns_lane = true;
    }
    sequence = state.next_batch++;
    state.first_waiting = Clock::now();
    ++state.running;
    in_flight_->Set(++running_);
  }
  std::vector<BookingEvent> events;
  events.reserve(tasks.size());
  for (const auto& t : tasks) events.push_back(t.event);
  batches_total_->Increment();
  batched_events_->Increment(static_cast<int64_t>(events.size()));
  auto decided = batches_.Decide(events, in_flight, saga_stop_);
  {
    // Reserved: the partition's next batch may take its place in line now.
    MutexLock lock(&mu_);
    auto it = partitions_.find(tp);
    if (it != partitions_.end() && it->second.epoch == batch_task.epoch) {
      it->second.deciding = false;
      if (!it->second.revoking) ScheduleBatch(tp, it->second);
    }
  }
  auto admitted = decided.ok() ? batches_.Record(events, std::move(*decided), saga_stop_)
                               : Result<std::vector<Admission>>(decided.status());
  if (!admitted.ok() && !saga_stop_.load()) {
    spdlog::error("batch of {} events on {}:{} failed: {}; admitting them one by one",
                  events.size(), tp.topic, tp.partition, admitted.status().ToString());
  }
  std::vector<std::pair<size_t, OutgoingEvent>> sold_out;
  bool handed_over = false;
  {
    MutexLock lock(&mu_);
    // kHandOverInOrder: the events go to the workers in offset order, so a
    // booking's later event never runs before its earlier one.
    idle_cv_.Wait([&]() REQUIRES(mu_) {
      auto it = partitions_.find(tp);
      return it == partitions_.end() || it->second.epoch != batch_task.epoch ||
             it->second.handed_over == sequence;
    });
    auto it = partitions_.find(tp);
    const bool current = it != partitions_.end() && it->second.epoch == batch_task.epoch;
    // Interrupted: nothing is done, the events are redelivered to whoever
    // owns them next, and the leases the batch took are handed back below.
    handed_over = current && !it->second.revoking && !saga_stop_.load();
    if (handed_over) {
      for (size_t i = 0; i < tasks.size(); ++i) {
        Task& task = tasks[i];
        if (admitted.ok()) {
          Admission& a = (*admitted)[i];
          if (a.next == Admission::Next::kPublish) {
            sold_out.emplace_back(i, std::move(a.outcome));
            continue;
          }
          if (a.next == Admission::Next::kDriveAdmitted) {
            task.admitted = std::move(a.record);
            task.driver = std::move(a.driver);
          }
        }
        queue_.push_back(std::move(task));  // in offset order: lanes keep it
        work_cv_.SignalAll();
      }
      it->second.running += static_cast<int>(sold_out.size());
      publishing_ += static_cast<int>(sold_out.size());
    }
    in_flight_->Set(--running_);
    if (current) {
      PartitionState& state = it->second;
      --state.running;
      --state.batches;
      state.handed_over = sequence + 1;
      if (!state.revoking) ScheduleBatch(tp, state);
    }
    queue_depth_->Set(static_cast<int64_t>(queue_.size() + waiting_));
    idle_cv_.SignalAll();
  }
  for (auto& [i, outcome] : sold_out) PublishSoldOut(tasks[i], std::move(outcome));
  if (handed_over) return;
  if (admitted.ok()) {
    for (Admission& a : *admitted) {
      if (a.next == Admission::Next::kDriveAdmitted) saga_.HandBackAdmitted(a.record, a.driver);
    }
  }
  // The lanes go to the bookings' next events only after the leases went
  // back: those events' drivers need not wait for them.
  MutexLock lock(&mu_);
  for (const Task& t : tasks) {
    if (t.owns_lane) PassLaneOn(t.event.request.booking_id);
  }
}

void BookingProcessor::PublishSoldOut(const Task& task, OutgoingEvent outcome) {
  const TopicPartition tp{task.raw.topic, task.raw.partition};
  // Runs on the producer's report thread: short, never blocking on Kafka.
  auto done = [this, tp, task](Status s) {
    MutexLock lock(&mu_);
    --publishing_;
    bool again = false;
    auto it = partitions_.find(tp);
    if (it != partitions_.end() && it->second.epoch == task.epoch) {
      --it->second.running;
      if (s.ok()) {
        it->second.tracker.Done(task.raw.offset);
        saga_.CountOutcome(BookingStatus::kSoldOut);
      } else if (!it->second.revoking) {
        // The one-by-one way publishes it again, retrying as the saga does;
        // it keeps the booking's lane.
        spdlog::warn("outcome of {}: {}; publishing it again", task.event.request.booking_id,
                     s.ToString());
        queue_.push_back(task);
        work_cv_.Signal();
        again = true;
      }
    }
    if (!again && task.owns_lane) PassLaneOn(task.event.request.booking_id);
    idle_cv_.SignalAll();
  };
  saga_.PublishOutcomeAsync(std::move(outcome), std::move(done));
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
    queue_depth_->Set(static_cast<int64_t>(queue_.size() + waiting_));
    if (task.batch) {
      mu_.Unlock();
      RunBatch(task);
      continue;
    }
    if (task.hand_overs) {
      in_flight_->Set(++running_);
      mu_.Unlock();
      saga_.DriveHandedOver(saga_stop_);
      mu_.Lock();
      in_flight_->Set(--running_);
      --lent_;
      idle_cv_.SignalAll();
      mu_.Unlock();
      continue;
    }
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
      if (!booking_id.empty()) PassLaneOn(booking_id);
      idle_cv_.SignalAll();
      mu_.Unlock();
      // Revoked: the partition's new owner processes it, without waiting
      // for the lease our batch took.
      if (task.admitted) saga_.HandBackAdmitted(*task.admitted, task.driver);
      continue;
    }
    ++it->second.running;
    in_flight_->Set(++running_);
    mu_.Unlock();

    const bool done = Execute(task);

    mu_.Lock();
    if (!booking_id.empty()) PassLaneOn(booking_id);
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
  bool admitted = task.admitted.has_value();
  while (true) {
    // A booking a batch admitted holding a unit goes on under the batch's
    // driver; a second run starts from the ledger, as any redelivery would.
    auto result = admitted ? saga_.DriveAdmitted(*task.admitted, task.driver,
                                                 task.event.metadata.trace_id, saga_stop_)
                           : saga_.DriveEvent(task.event, saga_stop_);
    admitted = false;
    if (result.ok()) return true;
    if (saga_stop_.load()) return false;  // interrupted: redelivered to whoever owns it next
    // Not transient (the saga retries those itself) and tried
    // saga.max_attempts times: this booking cannot be processed. Park it
    // rather than hold the partition's watermark forever.
    spdlog::error("booking {} failed: {}; parking it", r.booking_id, result.status().ToString());
    std::string why = result.status().ToString();
    Status parked = saga_.Park(task.event, why, saga_stop_);
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

void BookingProcessor::LendWorkers(size_t waiting) {
  MutexLock lock(&mu_);
  const size_t most =
      std::min({waiting, kMaxLentWorkers, static_cast<size_t>(std::max(options_.workers / 2, 1))});
  // Not bound to a partition or an offset: the queue's bookings are
  // WAITLISTED, which any number of drivers may move at once, and one left
  // when the process stops is the reconciler's.
  for (; lent_ < most; ++lent_) {
    Task task{};
    task.hand_overs = true;
    queue_.push_back(std::move(task));
  }
  queue_depth_->Set(static_cast<int64_t>(queue_.size() + waiting_));
  work_cv_.SignalAll();
}

void BookingProcessor::PassLaneOn(const std::string& booking_id) {
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
    depth = queue_.size() + waiting_;
    for (const auto& [tp, state] : partitions_) assigned.push_back(tp);
  }
  const bool was_paused = backpressure_.load();
  const bool pause =
      was_paused ? depth > options_.queue_low_water : depth >= options_.queue_capacity;
  if (pause == was_paused && !assignment_changed_) return;
  // kPauseFollowsQueue: every owned partition, whatever it was before.
  Status s = pause ? consumer_->Pause(assigned) : consumer_->Resume(assigned);
  if (!s.ok()) {
    spdlog::warn("{} {} partitions: {}; trying again", pause ? "pausing" : "resuming",
                 assigned.size(), s.ToString());
    return;
  }
  assignment_changed_ = false;
  if (pause == was_paused) return;
  backpressure_ = pause;
  if (pause) {
    pauses_->Increment();
    spdlog::info("queue full ({}): paused {} partitions", depth, assigned.size());
    return;
  }
  MutexLock lock(&mu_);
  for (auto& [tp, state] : partitions_) state.read_at = Clock::now();
  spdlog::info("queue at {}: resumed {} partitions", depth, assigned.size());
}

std::vector<PartitionProgress> BookingProcessor::Progress() const {
  const bool paused = backpressure_.load();
  const auto now = Clock::now();
  std::vector<PartitionProgress> out;
  MutexLock lock(&mu_);
  for (const auto& [tp, state] : partitions_) {
    if (state.revoking) continue;
    out.push_back({tp, now - state.read_at, state.next_offset, paused});
  }
  return out;
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
    state.read_at = Clock::now();
  }
  assignment_changed_ = true;
  assigned_->Set(static_cast<int64_t>(partitions_.size()));
  spdlog::info("assigned {} partitions (now {})", partitions.size(), partitions_.size());
}

void BookingProcessor::OnRevoked(const std::vector<TopicPartition>& partitions) {
  const auto start = Clock::now();
  mu_.Lock();
  for (const auto& tp : partitions) {
    auto it = partitions_.find(tp);
    if (it == partitions_.end()) continue;
    it->second.revoking = true;  // queued work is dropped
    waiting_ -= it->second.waiting.size();
    it->second.waiting.clear();
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
  assigned_->Set(static_cast<int64_t>(partitions_.size()));
  mu_.Unlock();
  const double waited = std::chrono::duration<double>(Clock::now() - start).count();
  revoke_seconds_->Observe(waited);
  // The drills read both phrases of this line from the log.
  spdlog::info("revoked {} partitions in {:.3f} s{}", partitions.size(), waited,
               drained ? ""
                       : " (sagas still running past drain_timeout; their new owner waits "
                         "for their lease)");
}

void BookingProcessor::Drain() {
  ScheduleLingeringBatches(/*all=*/true);  // every batch reschedules what came after it
  {
    MutexLock lock(&mu_);
    const bool drained = idle_cv_.WaitFor(options_.drain_timeout, [&]() REQUIRES(mu_) {
      return queue_.empty() && running_ == 0 && publishing_ == 0 && waiting_ == 0;
    });
    spdlog::info("drain: {} ({} queued, {} waiting for a batch, {} running, {} publishing)",
                 drained ? "complete" : "timed out", queue_.size(), waiting_, running_,
                 publishing_);
  }
  saga_stop_ = true;  // whatever still runs stops and stays uncommitted
  {
    MutexLock lock(&mu_);
    idle_cv_.WaitFor(kInterruptGrace,
                     [&]() REQUIRES(mu_) { return running_ == 0 && publishing_ == 0; });
  }
  CommitWatermarks();
}

}  // namespace wanderluxe
