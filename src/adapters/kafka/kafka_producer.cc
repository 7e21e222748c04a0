#include "adapters/kafka/kafka_producer.h"

#include <spdlog/spdlog.h>

#include <condition_variable>
#include <mutex>

namespace wanderluxe {
namespace {

// The fate of one message, shared by the publisher waiting on it and the
// delivery-report callback. Shared ownership because the publisher may give up
// (deadline) before the report arrives.
struct Delivery {
  std::mutex mu;
  std::condition_variable done_cv;
  bool done = false;
  rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
};

void OnDelivery(rd_kafka_t*, const rd_kafka_message_t* message, void*) {
  auto* owner = static_cast<std::shared_ptr<Delivery>*>(message->_private);
  if (owner == nullptr) return;
  {
    std::lock_guard lock((*owner)->mu);
    (*owner)->err = message->err;
    (*owner)->done = true;
  }
  (*owner)->done_cv.notify_all();
  delete owner;
}

}  // namespace

Result<std::unique_ptr<KafkaProducer>> KafkaProducer::Create(const KafkaConfig& config) {
  auto conf = MakeKafkaConf(config, {
                                        {"acks", "all"},
                                        {"enable.idempotence", "true"},
                                        {"linger.ms", std::to_string(config.linger_ms)},
                                        {"message.timeout.ms",
                                         std::to_string(config.delivery_timeout_ms)},
                                        {"request.timeout.ms",
                                         std::to_string(config.request_timeout_ms)},
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
  rd_kafka_resp_err_t err = rd_kafka_producev(
      handle_.get(), RD_KAFKA_V_TOPIC(event.topic.c_str()),
      RD_KAFKA_V_KEY(const_cast<char*>(event.key.data()), event.key.size()),
      RD_KAFKA_V_VALUE(const_cast<char*>(event.value.data()), event.value.size()),
      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_HEADERS(headers),
      RD_KAFKA_V_OPAQUE(owner), RD_KAFKA_V_END);
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
    rd_kafka_headers_destroy(headers);  // ownership passes only on success
    delete owner;
    return KafkaStatus(err, "publish to " + event.topic);
  }
  std::unique_lock lock(delivery->mu);
  if (!delivery->done_cv.wait_for(lock, timeout, [&] { return delivery->done; })) {
    return Status::DeadlineExceeded("publish to " + event.topic + ": no delivery report within " +
                                    std::to_string(timeout.count()) + " ms");
  }
  return KafkaStatus(delivery->err, "publish to " + event.topic);
}

Status KafkaProducer::Flush(std::chrono::milliseconds timeout) {
  rd_kafka_resp_err_t err = rd_kafka_flush(handle_.get(), static_cast<int>(timeout.count()));
  return KafkaStatus(err, "flush");
}

}  // namespace wanderluxe
