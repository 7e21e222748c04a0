// EventProducer over librdkafka: idempotent producer, acks=all, each
// message's callback run from the delivery report for that very message, on
// the producer's one reporter thread (the port's header has the contract).
// A report's verdict is librdkafka's persistence status of the message: only
// NOT_PERSISTED is "certainly not written"; a message that reached a broker
// and was not acknowledged (POSSIBLY_PERSISTED) may be in the log, or be
// appended later by a broker that was stalled, so it is an unknown outcome.
// A message with no report by LongestPublishMs is answered "unknown" by the
// reporter thread itself, a safety net that librdkafka's own timeouts keep
// from firing: a caller is owed its answer even if a report were lost.
//
// A fatal error of the idempotent producer (librdkafka refuses every produce
// from then on) is seen by the reporter thread after each poll: Ping fails
// naming it, and after kRebuildDelay the client is replaced by a new one
// (a new rd_kafka_t, so a new producer id). The dead client is kept, and
// polled, until every message it held has its report (its queue is purged
// by librdkafka, NOT_PERSISTED; the ones sent get the broker's answer), then
// closed on the reporter thread. At most one rebuild per kRebuildDelay.
#ifndef WANDERLUXE_ADAPTERS_KAFKA_KAFKA_PRODUCER_H_
#define WANDERLUXE_ADAPTERS_KAFKA_KAFKA_PRODUCER_H_

#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "adapters/kafka/kafka_handle.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/ports/event_producer.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {

class KafkaProducer final : public EventProducer {
 public:
  static Result<std::unique_ptr<KafkaProducer>> Create(const KafkaConfig& config);
  ~KafkaProducer() override;

  void PublishAsync(OutgoingEvent event, PublishCallback done) override;
  Status Publish(const OutgoingEvent& event, std::chrono::milliseconds timeout) override;
  Status Flush(std::chrono::milliseconds timeout) override;
  Status Ping(std::chrono::milliseconds timeout) override;

  // Raises a fabricated fatal error on the current client, as the idempotent
  // producer raises a real one (rd_kafka_test_fatal_error). For tests.
  Status TestFatalError(const std::string& reason);

  struct Answer;  // a message's callback, answered once: by its report or its deadline

 private:
  struct Deadline {
    std::chrono::steady_clock::time_point at;
    std::shared_ptr<Answer> answer;
  };
  // A client, shared by the calls that use it: replaced whole on a fatal
  // error, closed by the reporter thread once nobody else holds it.
  using Client = std::shared_ptr<rd_kafka_t>;
  struct Retired {
    Client client;
    std::chrono::steady_clock::time_point at;
    bool purged = false;
  };

  KafkaProducer(const KafkaConfig& config, Client client);
  Client Current() EXCLUDES(client_mu_);
  void ServeDeliveryReports();
  // Answers kDeadlineExceeded (unknown) every message past its deadline still
  // unreported.
  void AnswerOverdue() EXCLUDES(deadlines_mu_);
  // Reporter thread: replaces `current` if it has a fatal error and
  // kRebuildDelay has passed since it was seen.
  void RebuildIfFatal(const Client& current) EXCLUDES(client_mu_);
  // Reporter thread: serves the dead clients' reports; closes each once it
  // owes none (or its bound passed) and nobody else holds it.
  void ServeRetired() EXCLUDES(client_mu_);

  const KafkaConfig config_;
  const std::chrono::milliseconds verdict_deadline_;  // LongestPublishMs
  Mutex client_mu_;
  Client client_ GUARDED_BY(client_mu_);
  std::vector<Retired> retired_ GUARDED_BY(client_mu_);
  // Reporter thread only: when the current client's fatal error was seen.
  std::optional<std::chrono::steady_clock::time_point> fatal_seen_at_;
  Mutex deadlines_mu_;
  // In the order produced; every message has the same timeout, so also in
  // deadline order.
  std::deque<Deadline> deadlines_ GUARDED_BY(deadlines_mu_);
  std::atomic<bool> stopping_{false};
  std::thread reporter_;  // serves delivery reports; the only caller of rd_kafka_poll
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_KAFKA_KAFKA_PRODUCER_H_
