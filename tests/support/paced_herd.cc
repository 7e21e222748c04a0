#include "support/paced_herd.h"

#include <algorithm>

#include "adapters/http/http_client.h"

namespace wanderluxe::testing {
namespace {

using Clock = std::chrono::steady_clock;

// Answers after which a client tries the same booking again.
bool Retryable(int status) {
  return status == 503 || status == 504 || status == 409 || status == 0;
}

}  // namespace

std::string BookingJson(const std::string& booking_id, const std::string& property) {
  return R"({"bookingId":")" + booking_id + R"(","propertyId":")" + property +
         R"(","amount":10.00,"currency":"USD"})";
}

int64_t PacedHerdResult::requests() const {
  int64_t n = 0;
  for (const auto& [status, count] : status_counts) n += count;
  return n;
}

double PacedHerdResult::FirstAfter(int status, double after_s) const {
  double first = -1;
  for (const HerdAnswer& a : answers) {
    if (a.status == status && a.at_s > after_s && (first < 0 || a.at_s < first)) first = a.at_s;
  }
  return first;
}

double PacedHerdResult::LatencyQuantile(int status, double q) const {
  std::vector<double> latencies;
  for (const HerdAnswer& a : answers) {
    if (a.status == status) latencies.push_back(a.latency_s);
  }
  if (latencies.empty()) return -1;
  std::sort(latencies.begin(), latencies.end());
  const size_t rank = static_cast<size_t>(q * static_cast<double>(latencies.size() - 1));
  return latencies[rank];
}

PacedHerd::PacedHerd(PacedHerdOptions options)
    : options_(std::move(options)), start_(Clock::now()) {
  const size_t clients = static_cast<size_t>(std::max(1, options_.clients));
  tallies_.resize(clients);
  for (size_t c = 0; c < clients; ++c) threads_.emplace_back([this, c] { RunClient(c); });
}

PacedHerd::~PacedHerd() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

double PacedHerd::Elapsed() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void PacedHerd::RunClient(size_t client) {
  ClientTally& tally = tallies_[client];
  HttpClient http(options_.url, options_.request_timeout);
  auto next_send = Clock::now();
  for (size_t i = client; i < options_.booking_ids.size(); i += tallies_.size()) {
    const std::string& id = options_.booking_ids[i];
    const std::string body = BookingJson(id, options_.property);
    const auto give_up = Clock::now() + options_.give_up;
    while (true) {
      std::this_thread::sleep_until(next_send);  // the herd's rate, not a readiness wait
      const auto sent = Clock::now();
      next_send = sent + options_.pace;
      auto reply = http.Send("POST", "/api/v1/bookings", {{"Idempotency-Key", id}}, body);
      const int status = reply.ok() ? reply->status : 0;
      tally.answers.push_back(
          {Elapsed(), status, std::chrono::duration<double>(Clock::now() - sent).count()});
      ++tally.statuses[status];
      if (options_.on_answer) options_.on_answer(id, status);
      if (status == 202) {
        tally.accepted[id] = reply->body;
        ++accepted_;
        break;
      }
      if (status == 503 || status == 504) ++refused_;
      if (!Retryable(status) || Clock::now() > give_up) {
        tally.not_accepted.push_back(id);
        break;
      }
      std::this_thread::sleep_for(options_.backoff);  // a client's pacing, not a readiness wait
    }
  }
}

PacedHerdResult PacedHerd::Wait() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  PacedHerdResult result;
  for (const ClientTally& t : tallies_) {
    for (const auto& [status, n] : t.statuses) result.status_counts[status] += n;
    result.accepted.insert(t.accepted.begin(), t.accepted.end());
    result.not_accepted.insert(result.not_accepted.end(), t.not_accepted.begin(),
                               t.not_accepted.end());
    result.answers.insert(result.answers.end(), t.answers.begin(), t.answers.end());
  }
  for (const HerdAnswer& a : result.answers) result.seconds = std::max(result.seconds, a.at_s);
  return result;
}

}  // namespace wanderluxe::testing
