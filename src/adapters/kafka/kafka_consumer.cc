#include "adapters/kafka/kafka_consumer.h"

#include <spdlog/spdlog.h>

#include <set>
#include <string_view>

namespace wanderluxe {
namespace {

struct PartitionListDeleter {
  void operator()(rd_kafka_topic_partition_list_t* list) const {
    rd_kafka_topic_partition_list_destroy(list);
  }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDeleter>;

struct MessageDeleter {
  void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using Message = std::unique_ptr<rd_kafka_message_t, MessageDeleter>;

struct QueueDeleter {
  void operator()(rd_kafka_queue_t* queue) const { rd_kafka_queue_destroy(queue); }
};
using Queue = std::unique_ptr<rd_kafka_queue_t, QueueDeleter>;

struct EventDeleter {
  void operator()(rd_kafka_event_t* event) const { rd_kafka_event_destroy(event); }
};
using Event = std::unique_ptr<rd_kafka_event_t, EventDeleter>;

std::vector<EventHeader> CopyHeaders(rd_kafka_message_t* message) {
  std::vector<EventHeader> out;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(message, &headers) != RD_KAFKA_RESP_ERR_NO_ERROR) return out;
  const char* name = nullptr;
  const void* value = nullptr;
  size_t size = 0;
  for (size_t i = 0;
       rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       ++i) {
    out.push_back(
        {name, value == nullptr ? "" : std::string(static_cast<const char*>(value), size)});
  }
  return out;
}

std::vector<TopicPartition> ToVector(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  for (int i = 0; i < list->cnt; ++i)
    out.push_back({list->elems[i].topic, list->elems[i].partition});
  return out;
}

PartitionList ToList(const std::vector<TopicPartition>& partitions) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (const auto& tp : partitions) {
    rd_kafka_topic_partition_list_add(list.get(), tp.topic.c_str(), tp.partition);
  }
  return list;
}

void LogIfError(rd_kafka_error_t* error, const char* what) {
  if (error == nullptr) return;
  spdlog::error("{}: {}", what, rd_kafka_error_string(error));
  rd_kafka_error_destroy(error);
}

}  // namespace

ConsumedEvent ToConsumedEvent(rd_kafka_message_t* message) {
  ConsumedEvent event;
  event.topic = rd_kafka_topic_name(message->rkt);
  event.partition = message->partition;
  event.offset = message->offset;
  if (message->key != nullptr)
    event.key.assign(static_cast<const char*>(message->key), message->key_len);
  if (message->payload != nullptr) {
    event.value.assign(static_cast<const char*>(message->payload), message->len);
  }
  event.headers = CopyHeaders(message);
  event.timestamp_ms = rd_kafka_message_timestamp(message, nullptr);
  return event;
}

// What the rebalance callback needs: librdkafka's opaque points here.
// Touched on the polling thread only (callbacks run inside Poll).
struct KafkaConsumer::RebalanceState {
  RebalanceListener* listener = nullptr;
  std::set<TopicPartition> paused;  // by Pause, not yet resumed or revoked
  bool all_paused = false;          // PauseAll until ResumeAll: assigned ones come paused
};

namespace {

// Resumes those of `partitions` that were paused. librdkafka 2.0.2 handles
// a resume of a partition that is not paused by moving its fetch position
// back to where its fetch started (the version barrier in
// rd_kafka_toppar_fetch_decide): events already consumed would come again.
Status ResumePaused(rd_kafka_t* rk, std::set<TopicPartition>& paused,
                    const std::vector<TopicPartition>& partitions) {
  std::vector<TopicPartition> resume;
  for (const auto& tp : partitions) {
    if (paused.count(tp)) resume.push_back(tp);
  }
  if (resume.empty()) return Status::Ok();
  PartitionList list = ToList(resume);
  Status s = KafkaStatus(rd_kafka_resume_partitions(rk, list.get()), "resume");
  if (s.ok()) {
    for (const auto& tp : resume) paused.erase(tp);
  }
  return s;
}

// Pauses `partitions` and remembers which librdkafka paused: a later resume
// of any other would refetch it.
Status PauseAndRecord(rd_kafka_t* rk, std::set<TopicPartition>& paused,
                      const std::vector<TopicPartition>& partitions) {
  if (partitions.empty()) return Status::Ok();
  PartitionList list = ToList(partitions);
  Status s = KafkaStatus(rd_kafka_pause_partitions(rk, list.get()), "pause");
  if (!s.ok()) return s;
  for (int i = 0; i < list->cnt; ++i) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    if (tp.err == RD_KAFKA_RESP_ERR_NO_ERROR) paused.insert({tp.topic, tp.partition});
  }
  return Status::Ok();
}

// The listener sees exactly the partitions that come and go, before they go.
// Cooperative (incremental) rebalancing hands over only the partitions that
// move; eager rebalancing (a group still on an eager assignor) all of them.
void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                 rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* state = static_cast<KafkaConsumer::RebalanceState*>(opaque);
  RebalanceListener* listener = state->listener;
  const bool cooperative = std::string_view(rd_kafka_rebalance_protocol(rk)) == "COOPERATIVE";
  if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
    if (listener != nullptr) listener->OnAssigned(ToVector(partitions));
    if (cooperative) {
      LogIfError(rd_kafka_incremental_assign(rk, partitions), "incremental assign");
    } else {
      rd_kafka_assign(rk, partitions);
    }
    if (state->all_paused) {
      if (Status s = PauseAndRecord(rk, state->paused, ToVector(partitions)); !s.ok()) {
        spdlog::error("pause on assign: {}", s.ToString());
      }
    }
  } else {
    const std::vector<TopicPartition> revoked = ToVector(partitions);
    if (listener != nullptr) listener->OnRevoked(revoked);
    // kFetchOnAssign: librdkafka keeps the application's pause flag on its
    // partition object across a revoke (it clears only its own), so a
    // partition paused when it was revoked would come back paused and never
    // be read. Resumed here, while still assigned, and stopped just below.
    if (Status s = ResumePaused(rk, state->paused, revoked); !s.ok()) {
      spdlog::error("resume on revoke: {}", s.ToString());
    }
    if (cooperative) {
      LogIfError(rd_kafka_incremental_unassign(rk, partitions), "incremental unassign");
    } else {
      rd_kafka_assign(rk, nullptr);
    }
  }
}

}  // namespace

Result<std::unique_ptr<KafkaConsumer>> KafkaConsumer::Create(
    const KafkaConfig& config, const std::string& group_id,
    const std::map<std::string, std::string>& extra, RebalanceListener* listener) {
  std::map<std::string, std::string> props = {
      {"group.id", group_id},
      {"enable.auto.commit", "false"},
      {"enable.auto.offset.store", "false"},
      {"auto.offset.reset", "earliest"},
      {"session.timeout.ms", std::to_string(config.session_timeout_ms)},
      {"max.poll.interval.ms", std::to_string(config.max_poll_interval_ms)},
      {"partition.assignment.strategy", config.assignment_strategy},
  };
  for (const auto& [k, v] : extra) props[k] = v;
  auto conf = MakeKafkaConf(config, props);
  if (!conf.ok()) return conf.status();
  auto rebalance = std::make_unique<RebalanceState>();
  rebalance->listener = listener;
  rd_kafka_conf_set_opaque(conf->get(), rebalance.get());
  rd_kafka_conf_set_rebalance_cb(conf->get(), OnRebalance);
  auto handle = MakeKafkaHandle(RD_KAFKA_CONSUMER, std::move(*conf));
  if (!handle.ok()) return handle.status();
  rd_kafka_poll_set_consumer(handle->get());
  return std::unique_ptr<KafkaConsumer>(
      new KafkaConsumer(std::move(*handle), std::move(rebalance),
                        std::chrono::milliseconds(config.commit_timeout_ms)));
}

KafkaConsumer::KafkaConsumer(KafkaHandle handle, std::unique_ptr<RebalanceState> rebalance,
                             std::chrono::milliseconds commit_timeout)
    : rebalance_(std::move(rebalance)),
      handle_(std::move(handle)),
      commit_timeout_(commit_timeout) {}

KafkaConsumer::~KafkaConsumer() { Close(); }

Status KafkaConsumer::Subscribe(const std::vector<std::string>& topics) {
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.size())));
  for (const auto& topic : topics) {
    rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  }
  return KafkaStatus(rd_kafka_subscribe(handle_.get(), list.get()), "subscribe");
}

Result<std::optional<ConsumedEvent>> KafkaConsumer::Poll(std::chrono::milliseconds timeout) {
  Message message(rd_kafka_consumer_poll(handle_.get(), static_cast<int>(timeout.count())));
  if (!message) return std::optional<ConsumedEvent>();
  if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return std::optional<ConsumedEvent>();
  if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(message->err, "consume");
  }
  return std::optional<ConsumedEvent>(ToConsumedEvent(message.get()));
}

Status KafkaConsumer::Commit(const std::vector<CommitPoint>& points) {
  if (points.empty()) return Status::Ok();
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(points.size())));
  for (const auto& p : points) {
    rd_kafka_topic_partition_list_add(list.get(), p.topic.c_str(), p.partition)->offset = p.offset;
  }
  // Not rd_kafka_commit(async=0): it waits without a bound for the group
  // coordinator's answer, and a stopped broker never gives one (30 s and
  // counting in integration.kafka_commit). The result comes to a queue of this
  // call's own, awaited for commit_timeout_; a result that arrives after the
  // queue is gone is dropped by librdkafka.
  Queue queue(rd_kafka_queue_new(handle_.get()));
  const rd_kafka_resp_err_t err =
      rd_kafka_commit_queue(handle_.get(), list.get(), queue.get(), nullptr, nullptr);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "commit");
  Event result(rd_kafka_queue_poll(queue.get(), static_cast<int>(commit_timeout_.count())));
  if (!result) {
    return Status::DeadlineExceeded("commit: no answer from the group coordinator within " +
                                    std::to_string(commit_timeout_.count()) + " ms");
  }
  return KafkaStatus(rd_kafka_event_error(result.get()), "commit");
}

Status KafkaConsumer::Pause(const std::vector<TopicPartition>& partitions) {
  return PauseAndRecord(handle_.get(), rebalance_->paused, partitions);
}

Status KafkaConsumer::Resume(const std::vector<TopicPartition>& partitions) {
  return ResumePaused(handle_.get(), rebalance_->paused, partitions);
}

Status KafkaConsumer::PauseAll() {
  rd_kafka_topic_partition_list_t* raw = nullptr;
  if (Status s = KafkaStatus(rd_kafka_assignment(handle_.get(), &raw), "assignment"); !s.ok()) {
    return s;
  }
  PartitionList assignment(raw);
  rebalance_->all_paused = true;
  return PauseAndRecord(handle_.get(), rebalance_->paused, ToVector(assignment.get()));
}

Status KafkaConsumer::ResumeAll() {
  rebalance_->all_paused = false;
  const std::vector<TopicPartition> paused(rebalance_->paused.begin(), rebalance_->paused.end());
  return ResumePaused(handle_.get(), rebalance_->paused, paused);
}

Result<Watermarks> KafkaConsumer::QueryWatermarks(const TopicPartition& tp,
                                                  std::chrono::milliseconds timeout) {
  Watermarks marks;
  const rd_kafka_resp_err_t err =
      rd_kafka_query_watermark_offsets(handle_.get(), tp.topic.c_str(), tp.partition, &marks.low,
                                       &marks.high, static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "watermarks of " + tp.topic);
  return marks;
}

Result<int64_t> KafkaConsumer::QueryCommitted(const TopicPartition& tp,
                                              std::chrono::milliseconds timeout) {
  PartitionList list = ToList({tp});
  const rd_kafka_resp_err_t err =
      rd_kafka_committed(handle_.get(), list.get(), static_cast<int>(timeout.count()));
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "committed offset of " + tp.topic);
  if (list->elems[0].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    return KafkaStatus(list->elems[0].err, "committed offset of " + tp.topic);
  }
  return list->elems[0].offset >= 0 ? list->elems[0].offset : int64_t{-1};
}

void KafkaConsumer::Close() {
  if (closed_) return;
  closed_ = true;
  rd_kafka_resp_err_t err = rd_kafka_consumer_close(handle_.get());
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    spdlog::warn("consumer close: {}", rd_kafka_err2str(err));
  }
}

}  // namespace wanderluxe
