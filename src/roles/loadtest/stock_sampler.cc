#include "roles/loadtest/stock_sampler.h"

#include <nlohmann/json.hpp>

#include "adapters/http/http_client.h"

namespace wanderluxe {

StockSampler::StockSampler(std::string base_url, std::string property_id)
    : base_url_(std::move(base_url)), property_id_(std::move(property_id)) {}

StockSampler::~StockSampler() { Stop(); }

void StockSampler::Start() {
  WL_CHECK(!thread_.joinable(), "StockSampler::Start called twice");
  thread_ = std::thread([this] { Run(); });
}

std::vector<StockReading> StockSampler::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  stop_cv_.SignalAll();
  if (thread_.joinable()) {
    thread_.join();
    HttpClient http(base_url_, kStockRequestTimeout);
    auto last = ReadOnce(http);  // the state the run ended in
    MutexLock lock(&mu_);
    if (last) readings_.push_back(*last);
  }
  MutexLock lock(&mu_);
  return readings_;
}

std::optional<int64_t> StockSampler::total() const {
  MutexLock lock(&mu_);
  return total_;
}

void StockSampler::Run() {
  HttpClient http(base_url_, kStockRequestTimeout);
  auto next = std::chrono::steady_clock::now();
  while (true) {
    auto reading = ReadOnce(http);
    MutexLock lock(&mu_);
    if (reading) readings_.push_back(*reading);
    next += kStockSampleInterval;
    if (stop_cv_.WaitUntil(next, [&]() REQUIRES(mu_) { return stop_; })) return;
  }
}

std::optional<StockReading> StockSampler::ReadOnce(HttpClient& http) {
  const auto at = std::chrono::steady_clock::now();
  auto reply = http.Send("GET", "/api/v1/properties/" + property_id_ + "/inventory");
  if (!reply.ok() || reply->status != 200) return std::nullopt;
  auto doc = nlohmann::json::parse(reply->body, nullptr, /*allow_exceptions=*/false);
  if (!doc.is_object() || !doc["available"].is_number_integer()) return std::nullopt;
  StockReading r{at, doc["available"].get<int64_t>(), doc.value("held", int64_t{0}),
                 doc.value("sold", int64_t{0})};
  if (doc["total"].is_number_integer()) {
    MutexLock lock(&mu_);
    total_ = doc["total"].get<int64_t>();
  }
  return r;
}

}  // namespace wanderluxe
