#include "roles/loadtest/herd.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <latch>
#include <random>
#include <thread>

#include "adapters/http/http_client.h"
#include "wanderluxe/ids.h"

namespace wanderluxe {
namespace {

using Clock = std::chrono::steady_clock;

struct SentRequest {
  std::string key;
  std::string body;
  std::string booking_id;
};

// What one client thread saw; merged at the end, so threads share nothing hot.
struct ClientTally {
  std::map<int, int64_t> statuses;
  std::map<std::string, double> accepted_at_ms;  // bookingId -> first 202
  std::vector<double> latencies_ms;
  std::vector<double> accepted_latencies_ms;
  std::vector<RequestRecord> records;
  int64_t duplicates = 0;
};

void RunClient(const HerdOptions& o, int client, int64_t first, int64_t count,
               std::latch& start_line, Clock::time_point& start, std::atomic<int64_t>& done,
               ClientTally& tally) {
  HttpClient http(o.url, o.request_timeout);
  std::mt19937_64 rng(static_cast<uint64_t>(client) * 7919 + 17);
  std::uniform_real_distribution<double> coin(0, 1);
  std::vector<SentRequest> sent;
  const double per_client_rate = o.rate > 0 ? o.rate / o.concurrency : 0;
  start_line.arrive_and_wait();  // every client leaves in the same instant
  for (int64_t i = 0; i < count; ++i) {
    if (per_client_rate > 0) {
      std::this_thread::sleep_until(start + std::chrono::microseconds(static_cast<int64_t>(
                                                static_cast<double>(i) * 1e6 / per_client_rate)));
    }
    SentRequest request;
    if (!sent.empty() && coin(rng) < o.duplicates) {
      request = sent[rng() % sent.size()];  // a client retrying with the same key
      ++tally.duplicates;
    } else {
      const std::string id = "lt-" + o.run_id + "-" + std::to_string(first + i);
      request = {id,
                 R"({"bookingId":")" + id + R"(","propertyId":")" + o.property_id +
                     R"(","userId":"user-)" + std::to_string(first + i) +
                     R"(","amount":5000.00,"currency":"USD"})",
                 id};
      sent.push_back(request);
    }
    const auto t0 = Clock::now();
    auto reply =
        http.Send("POST", "/api/v1/bookings", {{"Idempotency-Key", request.key}}, request.body);
    const auto t1 = Clock::now();
    const double latency_ms = std::chrono::duration<double, std::milli>(t1 - t0).count();
    tally.latencies_ms.push_back(latency_ms);
    const int status = reply.ok() ? reply->status : 0;
    ++tally.statuses[status];
    const double answered_ms = std::chrono::duration<double, std::milli>(t1 - start).count();
    tally.records.push_back(
        {static_cast<float>(answered_ms - latency_ms), static_cast<float>(answered_ms), status});
    if (status == 202) {
      tally.accepted_at_ms.emplace(request.booking_id, answered_ms);
      tally.accepted_latencies_ms.push_back(latency_ms);
    }
    const int64_t n = ++done;
    if (o.on_progress && (n % std::max<int64_t>(1, o.requests / 100) == 0)) o.on_progress(n);
  }
}

}  // namespace

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const size_t rank =
      static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

HerdResult RunHerd(const HerdOptions& o) {
  const int clients = static_cast<int>(std::min<int64_t>(o.concurrency, o.requests));
  std::vector<ClientTally> tallies(static_cast<size_t>(clients));
  std::latch start_line(clients + 1);
  Clock::time_point start;
  std::atomic<int64_t> done{0};
  std::vector<std::thread> threads;
  int64_t next = 0;
  for (int c = 0; c < clients; ++c) {
    const int64_t count = o.requests / clients + (c < o.requests % clients ? 1 : 0);
    threads.emplace_back(RunClient, std::cref(o), c, next, count, std::ref(start_line),
                         std::ref(start), std::ref(done),
                         std::ref(tallies[static_cast<size_t>(c)]));
    next += count;
  }
  start = Clock::now();
  const int64_t start_unix_ms = NowUnixMillis();
  start_line.arrive_and_wait();
  for (auto& t : threads) t.join();
  HerdResult result;
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  result.start = start;
  result.start_unix_ms = start_unix_ms;
  for (ClientTally& t : tallies) {
    for (const auto& [status, n] : t.statuses) result.status_counts[status] += n;
    for (const auto& [id, at] : t.accepted_at_ms) {
      auto [it, added] = result.accepted_at_ms.emplace(id, at);
      if (!added) it->second = std::min(it->second, at);
    }
    result.latencies_ms.insert(result.latencies_ms.end(), t.latencies_ms.begin(),
                               t.latencies_ms.end());
    result.accepted_latencies_ms.insert(result.accepted_latencies_ms.end(),
                                        t.accepted_latencies_ms.begin(),
                                        t.accepted_latencies_ms.end());
    result.records.insert(result.records.end(), t.records.begin(), t.records.end());
    result.duplicates_sent += t.duplicates;
  }
  for (const auto& [id, at] : result.accepted_at_ms) result.accepted_ids.push_back(id);
  std::sort(result.latencies_ms.begin(), result.latencies_ms.end());
  std::sort(result.accepted_latencies_ms.begin(), result.accepted_latencies_ms.end());
  return result;
}

}  // namespace wanderluxe
