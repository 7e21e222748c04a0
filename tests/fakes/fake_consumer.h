// A PartitionConsumer over an in-memory topic, with librdkafka 2.0.2's own
// semantics where the processor meets them (DESIGN.md "Rebalance",
// "Saturation and backpressure"), and no stronger:
//   - Eager assignment: a rebalance revokes every owned partition in one Poll
//     and assigns the new set in a later one (the group's join between them);
//     a test may hold the join to let the member run with nothing assigned.
//     Cooperative assignment names only the partitions that move.
//   - A partition (re)assigned is read from the group's committed offset (the
//     earliest when none): what was read and not committed comes again.
//   - The application's pause flag lives on the partition object and outlives
//     a revoke (rd_kafka_assignment_serve_removals resets only the library's
//     own RD_KAFKA_TOPPAR_F_LIB_PAUSE): a partition paused when revoked and
//     assigned again is not fetched until the application resumes it.
//   - A Resume of an assigned partition that is not paused bumps its version
//     barrier, and the fetch moves back to where it started under this
//     assignment: events already read come again.
//   - Pause and Resume of a partition the client never knew (never assigned)
//     do nothing (librdkafka answers UNKNOWN_PARTITION for that element).
// The test drives every rebalance (Rebalance), so a run is deterministic up
// to the processor's own threads.
//
// Thread safety: the port's calls come from the processor's poll thread
// (the listener runs inside Poll, on it, with no lock of the fake held);
// QueryWatermarks, QueryCommitted and every test-side call are safe from any
// thread at any time.
#ifndef WANDERLUXE_TESTS_FAKES_FAKE_CONSUMER_H_
#define WANDERLUXE_TESTS_FAKES_FAKE_CONSUMER_H_

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "wanderluxe/ports/event_consumer.h"

namespace wanderluxe::fakes {

class FakeConsumer final : public PartitionConsumer {
 public:
  enum class Protocol { kEager, kCooperative };

  // `listener`, when given, must outlive the consumer.
  explicit FakeConsumer(RebalanceListener* listener = nullptr) : listener_(listener) {}
  void SetListener(RebalanceListener* listener);

  // The topic and its log (test side).
  void CreateTopic(const std::string& topic, int partitions);
  // Appends an event; answers its offset.
  int64_t Produce(const std::string& topic, int32_t partition, const std::string& key,
                  const std::string& value);

  // The group moves this member to `assignment`: eager revokes every owned
  // partition at the next Poll and assigns `assignment` at a later one;
  // cooperative revokes and assigns only what changes.
  void Rebalance(std::vector<TopicPartition> assignment, Protocol protocol = Protocol::kEager);
  // While held, an eager rebalance stops between its revoke and its assign:
  // polls return nothing and the member owns nothing (another member slow to
  // join).
  void HoldJoin(bool held);

  // PartitionConsumer. Subscribe assigns every partition of `topics` at the
  // next Poll (the member is alone in its group) unless the test rebalances.
  Status Subscribe(const std::vector<std::string>& topics) override;
  Result<std::optional<ConsumedEvent>> Poll(std::chrono::milliseconds timeout) override;
  Status Commit(const std::vector<CommitPoint>& points) override;
  void Close() override;
  Status Pause(const std::vector<TopicPartition>& partitions) override;
  Status Resume(const std::vector<TopicPartition>& partitions) override;
  Status PauseAll() override;
  Status ResumeAll() override;
  Result<Watermarks> QueryWatermarks(const TopicPartition& tp,
                                     std::chrono::milliseconds timeout) override;
  Result<int64_t> QueryCommitted(const TopicPartition& tp,
                                 std::chrono::milliseconds timeout) override;

  // What the test looks at.
  bool AppPaused(const TopicPartition& tp) const;
  std::vector<TopicPartition> Assignment() const;
  int64_t Committed(const TopicPartition& tp) const;  // -1: none
  int Polls() const;
  int RevokesStarted() const;  // listener OnRevoked calls begun
  int AssignsDone() const;     // assignments in effect after OnAssigned
  // Times the event at `offset` was handed to the application.
  int Deliveries(const TopicPartition& tp, int64_t offset) const;

 private:
  struct Assigned {
    int64_t position = 0;     // the next offset Poll hands out
    int64_t fetch_start = 0;  // where fetching began under this assignment
  };
  struct Pending {
    std::vector<TopicPartition> assignment;
    Protocol protocol = Protocol::kEager;
    bool revoked = false;  // eager: the revoke ran, the assign waits
  };

  // One rebalance step, if one is due; true when it ran (the Poll returns
  // then, as a Poll that served a rebalance op and fetched nothing).
  bool ServeRebalance();
  // A rebalance step is due (an eager assign waits while the join is held).
  bool RebalanceDueLocked() const;
  void AssignLocked(const std::vector<TopicPartition>& partitions);
  std::optional<ConsumedEvent> NextLocked();

  mutable std::mutex mu_;
  std::condition_variable changed_;  // an event, a rebalance, a resume or a join
  RebalanceListener* listener_;
  std::map<std::string, std::vector<std::vector<ConsumedEvent>>> topics_;
  std::map<TopicPartition, int64_t> committed_;
  std::map<TopicPartition, Assigned> assigned_;
  std::set<TopicPartition> known_;       // partition objects: ever assigned
  std::set<TopicPartition> app_paused_;  // outlives a revoke
  bool all_paused_ = false;              // PauseAll until ResumeAll
  std::optional<Pending> pending_;
  bool join_held_ = false;
  bool closed_ = false;
  size_t next_partition_ = 0;  // round robin over the assignment
  int polls_ = 0;
  int revokes_started_ = 0;
  int assigns_done_ = 0;
  std::map<std::pair<TopicPartition, int64_t>, int> deliveries_;
};

}  // namespace wanderluxe::fakes

#endif  // WANDERLUXE_TESTS_FAKES_FAKE_CONSUMER_H_
