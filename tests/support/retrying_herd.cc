#include "support/retrying_herd.h"

#include <algorithm>
#include <memory>
#include <nlohmann/json.hpp>
#include <random>

#include "adapters/http/http_client.h"

namespace wanderluxe::testing {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The longest single pause, so a stopped herd notices within it.
constexpr milliseconds kStopCheck{50};
// A Retry-After longer than this many digits of seconds is not believed.
constexpr size_t kMaxRetryAfterDigits = 4;

// Ids are of the drill's own charset ([A-Za-z0-9._:-]), so no escaping is
// needed; the amount is written as a client writes it, an exact decimal.
std::string BookingBody(const std::string& booking_id, const std::string& property_id) {
  return R"({"bookingId":")" + booking_id + R"(","propertyId":")" + property_id +
         R"(","userId":"user-)" + booking_id + R"(","amount":100.00,"currency":"USD"})";
}

// Sleeps until `until`, or until `stop` is set.
void PauseUntil(Clock::time_point until, const std::atomic<bool>& stop) {
  while (!stop.load() && Clock::now() < until) {
    std::this_thread::sleep_for(std::min<Clock::duration>(kStopCheck, until - Clock::now()));
  }
}

milliseconds RetryAfter(const HttpResult& r) {
  const std::string value = r.Header("Retry-After");
  if (value.empty() || !std::all_of(value.begin(), value.end(), ::isdigit) ||
      value.size() > kMaxRetryAfterDigits) {
    return milliseconds(0);
  }
  return std::chrono::seconds(std::stoi(value));
}

}  // namespace

RetryingHerd::RetryingHerd(RetryingHerdOptions options)
    : options_(std::move(options)), tallies_(static_cast<size_t>(options_.clients)) {
  start_ = Clock::now();
  for (int c = 0; c < options_.clients; ++c) {
    threads_.emplace_back([this, c] { RunClient(c, tallies_[static_cast<size_t>(c)]); });
  }
}

RetryingHerd::~RetryingHerd() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

int64_t RetryingHerd::total_keys() const {
  return static_cast<int64_t>(options_.clients) * options_.keys_per_client;
}

void RetryingHerd::RunClient(int client, ClientTally& tally) {
  const RetryingHerdOptions& o = options_;
  std::vector<std::unique_ptr<HttpClient>> gateways;
  for (const std::string& url : o.urls.empty() ? std::vector<std::string>{o.url} : o.urls) {
    gateways.push_back(std::make_unique<HttpClient>(url, o.request_timeout));
  }
  size_t gateway = static_cast<size_t>(client) % gateways.size();
  std::mt19937_64 rng(static_cast<uint64_t>(client) * 7919 + 17);
  // One send: the answer's status (0 = none) and, for a 202, what it said.
  auto send = [&](const std::string& key, KeyOutcome& out, milliseconds& retry_after) {
    auto r = gateways[gateway]->Send("POST", "/api/v1/bookings", {{"Idempotency-Key", key}},
                                     BookingBody(key, out.property_id));
    ++tally.requests;
    ++out.attempts;
    const int status = r.ok() ? r->status : 0;
    ++tally.statuses[status];
    out.answers.push_back(status);
    out.answered_s.push_back(std::chrono::duration<double>(Clock::now() - start_).count());
    retry_after = r.ok() ? RetryAfter(*r) : milliseconds(0);
    if (status == 202) {
      const auto body = nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
      Accepted202 a;
      if (body.is_object()) {
        a.booking_id = body.value("bookingId", "");
        a.event_id = body.value("eventId", "");
      }
      a.replayed = r->Header("Idempotent-Replayed") == "true";
      out.accepted.push_back(std::move(a));
    }
    return status;
  };
  // Sends `key` until a final answer or the last attempt; returns its status.
  auto until_final = [&](KeyOutcome& out) {
    milliseconds backoff = o.backoff_initial, retry_after{0};
    const int first_attempt = out.attempts;
    int status = send(out.key, out, retry_after);
    while (o.retry_on.count(status) > 0 && out.attempts - first_attempt < o.max_attempts &&
           !stop_.load()) {
      // Equal jitter: half the wait, plus up to the other half at random.
      const milliseconds wait = std::min(std::max(backoff, retry_after), o.backoff_max);
      const auto jitter = milliseconds(static_cast<int64_t>(
          rng() % static_cast<uint64_t>(std::max<int64_t>(1, wait.count() / 2))));
      PauseUntil(Clock::now() + wait / 2 + jitter, stop_);
      backoff = std::min(backoff * 2, o.backoff_max);
      gateway = (gateway + 1) % gateways.size();
      ++tally.retries;
      status = send(out.key, out, retry_after);
    }
    return status;
  };
  for (int i = 0; i < o.keys_per_client && !stop_.load(); ++i) {
    if (o.keys_per_second > 0) {
      const double at_s = (static_cast<double>(i) * o.clients + client) / o.keys_per_second;
      PauseUntil(start_ + std::chrono::microseconds(static_cast<int64_t>(at_s * 1e6)), stop_);
    }
    KeyOutcome out;
    out.key = o.id_prefix + "-" + std::to_string(client) + "-" + std::to_string(i);
    // The herd's n-th key, in pacing order, books properties[n % size].
    const size_t n =
        static_cast<size_t>(i) * static_cast<size_t>(o.clients) + static_cast<size_t>(client);
    out.property_id = o.properties.empty() ? o.property_id : o.properties[n % o.properties.size()];
    out.final_status = until_final(out);
    if (out.final_status == 202 && o.resend_every > 0 && i % o.resend_every == 0) {
      out.resent = true;
      out.resend_status = until_final(out);
    }
    tally.keys.push_back(std::move(out));
    tally.last_answer = Clock::now();
    ++finished_;
  }
}

RetryingHerdResult RetryingHerd::Wait() {
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  RetryingHerdResult result;
  Clock::time_point last = start_;
  for (ClientTally& t : tallies_) {
    last = std::max(last, t.last_answer);
    for (auto& k : t.keys) result.keys.push_back(std::move(k));
    for (const auto& [status, n] : t.statuses) result.statuses[status] += n;
    result.requests += t.requests;
    result.retries += t.retries;
  }
  result.seconds = std::chrono::duration<double>(last - start_).count();
  tallies_.clear();
  return result;
}

}  // namespace wanderluxe::testing
