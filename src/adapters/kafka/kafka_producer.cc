#include "adapters/kafka/kafka_producer.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <optional>
#include <string>
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
// After a fatal error: how long the dead client stays current (every publish
// refused, "not written"; Ping failing, naming the error) before a new one
// replaces it. Also the least time between two rebuilds, so a cause that
// keeps raising fatal errors costs one new client per this, not a tight loop.
constexpr std::chrono::milliseconds kRebuildDelay{500};
// While a dead client still owes reports, the reporter polls each client this
// long, so neither waits on the other's poll.
constexpr int kReportPollWithRetiredMs = 10;

// The client's fatal error, if it has one: "<code>: <reason>".
std::optional<std::string> FatalError(rd_kafka_t* rk) {
  char reason[512];
  const rd_kafka_resp_err_t err = rd_kafka_fatal_error(rk, reason, sizeof(reason));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return std::nullopt;
  return std::string(rd_kafka_err2name(err)) + ": " + reason;
}

// Waits up to `flush` for what `rk` still holds; then purges the rest and
// waits up to `purged` for their reports. True when every report was served.
bool CloseClient(rd_kafka_t* rk, std::chrono::milliseconds flush, std::chrono::milliseconds purged,
                 const char* which) {
  rd_kafka_resp_err_t err = rd_kafka_flush(rk, static_cast<int>(flush.count()));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
  // Every callback must still run once: purged messages are reported failed.
  spdlog::warn("{} producer client closing with unacknowledged events, failing them: {}", which,
               rd_kafka_err2str(err));
  rd_kafka_purge(rk, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
  err = rd_kafka_flush(rk, static_cast<int>(purged.count()));
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return true;
  spdlog::error(
      "{} events never reported by the {} producer client: their callbacks run only "
      "by the producer's own deadline",
      rd_kafka_outq_len(rk), which);
  return false;
}

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

namespace {

Result<KafkaHandle> NewClient(const KafkaConfig& config) {
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
  return MakeKafkaHandle(RD_KAFKA_PRODUCER, std::move(*conf));
}

}  // namespace

Result<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(const KafkaConfig& config) {
  auto handle = NewClient(config);
  if (!handle.ok()) return handle.status();
  return std::unique_ptr<KafkaProducer>(new KafkaProducer(config, Client(std::move(*handle))));
}

KafkaProducer::KafkaProducer(const KafkaConfig& config, Client client)
    : config_(config),
      verdict_deadline_(LongestPublishMs(config)),
      client_(std::move(client)),
      reporter_([this] { ServeDeliveryReports(); }) {}

KafkaProducer::~KafkaProducer() {
  CloseClient(Current().get(), kCloseFlushBound, kPurgeReportBound, "current");
  stopping_.store(true);
  reporter_.join();
  std::vector<Retired> retired;
  {
    MutexLock lock(&client_mu_);
    retired.swap(retired_);
  }
  for (Retired& r : retired)
    CloseClient(r.client.get(), kCloseFlushBound, kPurgeReportBound, "dead");
}

KafkaProducer::Client KafkaProducer::Current() {
  MutexLock lock(&client_mu_);
  return client_;
}

void KafkaProducer::ServeDeliveryReports() {
  bool retired = false;
  while (!stopping_.load()) {
    const Client current = Current();
    rd_kafka_poll(current.get(), retired ? kReportPollWithRetiredMs : kReportPollMs);
    AnswerOverdue();
    RebuildIfFatal(current);
    {
      MutexLock lock(&client_mu_);
      retired = !retired_.empty();
    }
    if (retired) ServeRetired();
  }
}

void KafkaProducer::RebuildIfFatal(const Client& current) {
  const std::optional<std::string> fatal = FatalError(current.get());
  if (!fatal) return;
  const auto now = std::chrono::steady_clock::now();
  if (!fatal_seen_at_) {
    fatal_seen_at_ = now;
    spdlog::error(
        "kafka producer: fatal error {}; every publish is refused until the client is "
        "rebuilt in {} ms",
        *fatal, kRebuildDelay.count());
  }
  if (now - *fatal_seen_at_ < kRebuildDelay) return;
  auto fresh = NewClient(config_);
  if (!fresh.ok()) {
    fatal_seen_at_ = now;  // try again after another delay
    spdlog::error("kafka producer: rebuilding after fatal error {} failed: {}", *fatal,
                  fresh.status().ToString());
    return;
  }
  size_t dead = 0;
  {
    MutexLock lock(&client_mu_);
    retired_.push_back({std::move(client_), now});
    client_ = Client(std::move(*fresh));
    dead = retired_.size();
  }
  fatal_seen_at_.reset();
  spdlog::warn(
      "kafka producer: rebuilt after fatal error {}; the dead client holds {} "
      "message(s) awaiting their reports ({} dead client(s))",
      *fatal, rd_kafka_outq_len(current.get()), dead);
}

void KafkaProducer::ServeRetired() {
  const auto now = std::chrono::steady_clock::now();
  std::vector<Client> serving;
  {
    MutexLock lock(&client_mu_);
    for (Retired& r : retired_) {
      // Past the producer's own deadline every message on it was answered
      // (unknown) already: what is left is purged and reported as such.
      if (!r.purged && now - r.at > verdict_deadline_) {
        r.purged = true;
        spdlog::warn("kafka producer: dead client still holds {} message(s) after {} ms: purged",
                     rd_kafka_outq_len(r.client.get()), verdict_deadline_.count());
        rd_kafka_purge(r.client.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT |
                                           RD_KAFKA_PURGE_F_NON_BLOCKING);
      }
      serving.push_back(r.client);
    }
  }
  for (const Client& client : serving) rd_kafka_poll(client.get(), kReportPollWithRetiredMs);
  serving.clear();
  std::vector<Client> closing;
  {
    MutexLock lock(&client_mu_);
    for (auto it = retired_.begin(); it != retired_.end();) {
      const bool drained = rd_kafka_outq_len(it->client.get()) == 0;
      const bool overdue = now - it->at > verdict_deadline_ + kPurgeReportBound;
      // Nobody else holds it (a publish or a flush in progress): nobody can
      // take it again, it is no longer current.
      if ((drained || overdue) && it->client.use_count() == 1) {
        if (!drained) {
          spdlog::error("kafka producer: dead client closed with {} message(s) never reported",
                        rd_kafka_outq_len(it->client.get()));
        }
        closing.push_back(std::move(it->client));
        it = retired_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (!closing.empty()) {
    closing.clear();  // rd_kafka_destroy, outside the lock
    spdlog::info("kafka producer: dead client closed");
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
  const Client client = Current();
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
      client.get(), RD_KAFKA_V_TOPIC(e.topic.c_str()),
      RD_KAFKA_V_KEY(const_cast<char*>(e.key.data()), e.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(e.value.data()), e.value.size()), RD_KAFKA_V_MSGFLAGS(0),
      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(in_flight.get()), RD_KAFKA_V_END);
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);  // ownership passes only on success
    // A client with a fatal error refuses every message until it is rebuilt:
    // not written, and transient.
    Status status = err == RD_KAFKA_RESP_ERR__FATAL
                        ? Status::Unavailable("publish to " + e.topic +
                                              ": the producer had a fatal "
                                              "error and is being rebuilt (not written)")
                        : NotWritten(KafkaStatus(err, "publish to " + e.topic));
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
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<Client> clients;
  {
    MutexLock lock(&client_mu_);
    for (const Retired& r : retired_) clients.push_back(r.client);
    clients.push_back(client_);
  }
  for (const Client& client : clients) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    rd_kafka_resp_err_t err =
        rd_kafka_flush(client.get(), static_cast<int>(std::max<int64_t>(left.count(), 0)));
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) return KafkaStatus(err, "flush");
  }
  return Status::Ok();
}

Status KafkaProducer::Ping(std::chrono::milliseconds timeout) {
  const Client client = Current();
  // A client with a fatal error still answers metadata, but writes nothing.
  if (const std::optional<std::string> fatal = FatalError(client.get())) {
    return Status::Unavailable("kafka producer: fatal error " + *fatal +
                               "; the producer is being rebuilt");
  }
  // A metadata request about the brokers only, on the connections the
  // producer already has.
  const rd_kafka_metadata_t* metadata = nullptr;
  const rd_kafka_resp_err_t err = rd_kafka_metadata(client.get(), /*all_topics=*/0, nullptr,
                                                    &metadata, static_cast<int>(timeout.count()));
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  return KafkaStatus(err, "kafka metadata");
}

Status KafkaProducer::TestFatalError(const std::string& reason) {
  return KafkaStatus(
      rd_kafka_test_fatal_error(Current().get(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                                reason.c_str()),
      "test fatal error");
}

}  // namespace wanderluxe
