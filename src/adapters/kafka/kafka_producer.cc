#include "adapters/kafka/kafka_producer.h"

#include <spdlog/spdlog.h>

#include "wanderluxe/mutex.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe {
namespace {

// The fate of one message, shared by the publisher waiting on it and the
// delivery-report callback. Shared ownership because the publisher may give up
// (deadline) before the report arrives.
struct Delivery {
  Mutex mu;
  CondVar done_cv{&mu};
  bool done GUARDED_BY(mu) = false;
  rd_kafka_resp_err_t err GUARDED_BY(mu) = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* owner = static_cast<std::shared_ptr<Delivery>*>(message->_private);
  if (owner == nullptr) return;
  Delivery& delivery = **owner;
  {
    MutexLock lock(&delivery.mu);
    delivery.err = message->err;
    delivery.done = true;
  }
  delivery.done_cv.SignalAll();
  delete owner;
}

}  // namespace

Result<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(const KafkaConfig& config) {
  auto conf =
      MakeKafkaConf(config, {
                                {"acks", "all"},
                                {"enable.idempotence", "true"},
                                {"linger.ms", std::to_string(config.linger_ms)},
                                {"message.timeout.ms", std::to_string(config.delivery_timeout_ms)},
                                {"request.timeout.ms", std::to_string(config.request_timeout_ms)},
                                {"queue.buffering.max.messages", "100000"},
                            });
  if (!conf.ok()) return conf.status();
  rd_kafka_conf_set_dr_msg_cb(conf->get(), OnDelivery);
  auto handle = MakeKafkaHandle(RD_KAFKA_PRODUCER, std::move(*conf));
  if (!handle.ok()) return handle.status();
  return std::unique_ptr<KafkaProducer>(new KafkaProducer(std::move(*handle)));
}

KafkaProducer::KafkaProducer(KafkaHandle handle)
    : handle_(std::move(handle)), reporter_([this] { ServeDeliveryReports(); }) {}

KafkaProducer::~KafkaProducer() {
  Status s = Flush(std::chrono::seconds(10));
  if (!s.ok()) spdlog::warn("producer closing with unacknowledged events: {}", s.ToString());
  stopping_ = true;
  reporter_.join();
  // Destroying the handle fails any message still queued, which frees its Delivery.
}

void KafkaProducer::ServeDeliveryReports() {
  while (!stopping_) rd_kafka_poll(handle_.get(), 100);
}

Status KafkaProducer::Publish(const OutgoingEvent& event, std::chrono::milliseconds timeout) {
  auto delivery = std::make_shared<Delivery>();
  auto* owner = new std::shared_ptr<Delivery>(delivery);
  rd_kafka_headers_t* headers = rd_kafka_headers_new(event.headers.size());
  for (const auto& h : event.headers) {
    rd_kafka_header_add(headers, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                        static_cast<ssize_t>(h.value.size()));
  }
  // librdkafka's RD_KAFKA_V_* macros type-check their arguments in GNU
  // statement expressions, which clang's -Wpedantic reports at this call.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wgnu-statement-expression"
#endif
  rd_kafka_resp_err_t err =
      rd_kafka_producev(handle_.get(), RD_KAFKA_V_TOPIC(event.topic.c_str()),
                        RD_KAFKA_V_KEY(const_cast<char*>(event.key.data()), event.key.size()),
                        RD_KAFKA_V_VALUE(const_cast<char*>(event.value.data()), event.value.size()),
                        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
                        RD_KAFKA_V_OPAQUE(owner), RD_KAFKA_V_END);
#if defined(__clang__)
#pragma clang diagnostic pop
#endif
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);  // ownership passes only on success
    delete owner;
    return KafkaStatus(err, "publish to " + event.topic);
  }
  Delivery& d = *delivery;
  MutexLock lock(&d.mu);
  if (!d.done_cv.WaitFor(timeout, [&]() REQUIRES(d.mu) { return d.done; })) {
    return Status::DeadlineExceeded("publish to " + event.topic + ": no delivery report within " +
                                    std::to_string(timeout.count()) + " ms");
  }
  return KafkaStatus(d.err, "publish to " + event.topic);
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
