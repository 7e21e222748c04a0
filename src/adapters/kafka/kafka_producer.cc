#include "adapters/kafka/kafka_producer.h"

#include <spdlog/spdlog.h>

#include <optional>
#include <vector>

#include "wanderluxe/mutex.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {
namespace {

// How long the reporter's rd_kafka_poll waits when no report is ready. It
// returns as soon as one is (librdkafka signals its queue), so this bounds
// only how long the destructor waits for the reporter to notice it should stop.
constexpr int kReportPollMs = 100;
// On close: how long to wait for the broker to acknowledge what was handed
// over, then (the rest purged) for librdkafka to report the purged messages.
constexpr std::chrono::seconds kCloseFlushBound{10};
constexpr std::chrono::seconds kPurgeReportBound{5};
// librdkafka fails timed-out messages only when its broker thread looks,
// and while a broker is down that thread sleeps out its reconnect backoff
// (up to reconnect.backoff.max.ms, 10 s by default) first: a verdict could
// trail message.timeout.ms by that much. Reconnecting at least once a second
// keeps the verdict within kKafkaVerdictSlackMs (config.h).
constexpr int kReconnectBackoffMaxMs = 1000;

}  // namespace

// Shared by the message (until its report) and the deadline queue (until its
// deadline): whichever comes first answers; the other finds it answered.
struct KafkaProducer::Answer {
  Mutex mu;
  PublishCallback done GUARDED_BY(mu);  // empty once answered

  // Takes the callback if nobody has yet.
  PublishCallback Take() EXCLUDES(mu) {
    MutexLock lock(&mu);
    PublishCallback taken = std::move(done);
    done = nullptr;  // a moved-from std::function need not be empty
    return taken;
  }
};

namespace {

// A message handed to librdkafka: its key and value are sent from here, not
// copied (no RD_KAFKA_MSG_F_COPY), so it lives until the delivery report,
// which takes it back. Heap-allocated and never moved: the strings' bytes
// stay where librdkafka was told they are.
struct InFlight {
  OutgoingEvent event;
  std::shared_ptr<KafkaProducer::Answer> answer;
};

// A failure that is certainly not a write: never kDeadlineExceeded, which
// the port keeps for an unknown outcome.
Status NotWritten(Status status) {
  if (status.code() != StatusCode::kDeadlineExceeded) return status;
  return Status::Unavailable(status.message() + " (not written)");
}

// The report's verdict in the port's three kinds. Only librdkafka knows
// whether a failed message ever left it: NOT_PERSISTED is never downgraded
// from a status that says it may have been written.
Status Verdict(const rd_kafka_message_t* message, const std::string& topic) {
  Status status = KafkaStatus(message->err, "publish to " + topic);
  if (status.ok()) return status;
  if (rd_kafka_message_status(message) == RD_KAFKA_MSG_STATUS_NOT_PERSISTED) {
    return NotWritten(std::move(status));
  }
  return Status::DeadlineExceeded(status.message() +
                                  " (possibly persisted: the outcome is unknown)");
}

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  std::unique_ptr<InFlight> in_flight(static_cast<InFlight*>(message->_private));
  if (in_flight == nullptr) return;
  Status status = Verdict(message, in_flight->event.topic);
  PublishCallback done = in_flight->answer->Take();
  // librdkafka reads no payload after the report: the bytes may go first.
  in_flight.reset();
  if (done) {
    done(std::move(status));
  } else {
    // Answered kDeadlineExceeded already; the caller was told "unknown".
    spdlog::warn("delivery report after the producer's own deadline: {}", status.ToString());
  }
}

}  // namespace

Result<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(const KafkaConfig& config) {
  auto conf = MakeKafkaConf(
      config, {
                  {"acks", "all"},
                  {"enable.idempotence", "true"},
                  {"linger.ms", std::to_string(config.linger_ms)},
                  {"message.timeout.ms", std::to_string(config.delivery_timeout_ms)},
                  {"request.timeout.ms", std::to_string(config.request_timeout_ms)},
                  {"reconnect.backoff.max.ms", std::to_string(kReconnectBackoffMaxMs)},
                  {"queue.buffering.max.messages", "100000"},
              });
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(conf->get(), OnDelivery);
  auto handle = MakeKafkaHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!handle.ok()) return handle.status();
  return std::unique_ptr<KafkaProducer>(
      new KafkaProducer(std::move(*handle), std::chrono::milliseconds(LongestPublishMs(config))));
}

KafkaProducer::KafkaProducer(KafkaHandle handle, std::chrono::milliseconds verdict_deadline)
    : handle_(std::move(handle)),
      verdict_deadline_(verdict_deadline),
      reporter_([this] { ServeDeliveryReports(); }) {}

KafkaProducer::~KafkaProducer() {
  Status s = Flush(kCloseFlushBound);
  if (!s.ok()) {
    // Every callback must still run once: purged messages are reported failed.
    spdlog::warn("producer closing with unacknowledged events, failing them: {}", s.ToString());
    rd_kafka_purge(handle_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    s = Flush(kPurgeReportBound);
    if (!s.ok()) {
      spdlog::error("{} events never reported: their callbacks will not run",
                    rd_kafka_outq_len(handle_.get()));
    }
  }
  stopping_.store(true);
  reporter_.join();
}

void KafkaProducer::ServeDeliveryReports() {
  while (!stopping_.load()) {
    rd_kafka_poll(handle_.get(), kReportPollMs);
    AnswerOverdue();
  }
}

void KafkaProducer::AnswerOverdue() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<PublishCallback> overdue;
  {
    MutexLock lock(&deadlines_mu_);
    while (!deadlines_.empty() && deadlines_.front().at <= now) {
      if (PublishCallback done = deadlines_.front().answer->Take()) {
        overdue.push_back(std::move(done));
      }
      deadlines_.pop_front();
    }
  }
  if (!overdue.empty()) {
    spdlog::warn("{} message(s) without librdkafka's verdict after {} ms: answered unknown",
                 overdue.size(), verdict_deadline_.count());
  }
  for (PublishCallback& done : overdue) {
    done(Status::DeadlineExceeded("no delivery report within " +
                                  std::to_string(verdict_deadline_.count()) +
                                  " ms: the outcome is unknown"));
  }
}

void KafkaProducer::PublishAsync(OutgoingEvent event, PublishCallback done) {
  auto answer = std::make_shared<Answer>();
  {
    MutexLock lock(&answer->mu);
    answer->done = std::move(done);
  }
  auto in_flight = std::make_unique<InFlight>(InFlight{std::move(event), answer});
  OutgoingEvent& e = in_flight->event;
  rd_kafka_headers_t* headers = rd_kafka_headers_new(e.headers.size());
  for (const auto& h : e.headers) {
    rd_kafka_header_add(headers, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                        static_cast<ssize_t>(h.value.size()));
  }
  // librdkafka's RD_KAFKA_V_* macros type-check their arguments in GNU
  // statement expressions, which clang's -Wpedantic reports at this call.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wgnu-statement-expression"
#endif
  // No RD_KAFKA_MSG_F_BLOCK: a full queue is an error now, never a wait.
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      handle_.get(), RD_KAFKA_V_TOPIC(e.topic.c_str()),
      RD_KAFKA_V_KEY(const_cast<char*>(e.key.data()), e.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(e.value.data()), e.value.size()), RD_KAFKA_V_MSGFLAGS(0),
      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(in_flight.get()), RD_KAFKA_V_END);
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);  // ownership passes only on success
    Status status = NotWritten(KafkaStatus(err, "publish to " + e.topic));
    PublishCallback refused = answer->Take();
    in_flight.reset();
    refused(std::move(status));
    return;
  }
  in_flight.release();  // OnDelivery takes it back
  MutexLock lock(&deadlines_mu_);
  deadlines_.push_back({std::chrono::steady_clock::now() + verdict_deadline_, std::move(answer)});
}

Status KafkaProducer::Publish(const OutgoingEvent& event, std::chrono::milliseconds timeout) {
  struct Fate {
    Mutex mu;
    CondVar reported_cv{&mu};
    std::optional<Status> status GUARDED_BY(mu);
  };
  // Shared: the report may come after this call gave up waiting.
  auto fate = std::make_shared<Fate>();
  PublishAsync(event, [fate](Status status) {
    MutexLock lock(&fate->mu);
    fate->status = std::move(status);
    fate->reported_cv.SignalAll();
  });
  Fate& f = *fate;
  MutexLock lock(&f.mu);
  if (!f.reported_cv.WaitFor(timeout, [&]() REQUIRES(f.mu) { return f.status.has_value(); })) {
    return Status::DeadlineExceeded("publish to " + event.topic + ": no delivery report within " +
                                    std::to_string(timeout.count()) + " ms");
  }
  return *f.status;
}

Status KafkaProducer::Flush(std::chrono::milliseconds timeout) {
  rd_kafka_resp_err_t err = rd_kafka_flush(handle_.get(), static_cast<int>(timeout.count()));
  return KafkaStatus(err, "flush");
}

Status KafkaProducer::Ping(std::chrono::milliseconds timeout) {
  // A metadata request about the brokers only, on the connections the
  // producer already has.
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(handle_.get(), /*all_topics=*/0, nullptr,
                                                    &metadata, static_cast<int>(timeout.count()));
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  return KafkaStatus(err, "kafka metadata");
}

}  // namespace wanderluxe
