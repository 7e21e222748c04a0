// The thundering herd: many clients released by one barrier so the first wave
// lands in the same millisecond, some re-sending a request with the same
// Idempotency-Key as a retrying client does.
#ifndef WANDERLUXE_ROLES_LOADTEST_HERD_H_
#define WANDERLUXE_ROLES_LOADTEST_HERD_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace wanderluxe {

struct HerdOptions {
  std::string url = "http://127.0.0.1:8080";
  std::string property_id;
  std::string run_id;       // prefixes every bookingId: lt-<run>-<n>
  int64_t requests = 1000;  // requests sent, duplicates included
  int concurrency = 100;    // connections, one thread each
  double duplicates = 0;    // fraction of requests that re-send an earlier one
  double rate = 0;          // open loop: requests/s in total; 0 = closed loop
  std::chrono::milliseconds request_timeout{10'000};
  std::function<void(int64_t done)> on_progress;  // called about every 1% of requests
};

// One request as the timeline needs it: compact, so 100,000 of them are ~1 MB.
struct RequestRecord {
  float sent_ms = 0;      // from the first request's start
  float answered_ms = 0;  // likewise; the answer, or giving up on one
  int32_t status = 0;     // HTTP status, 0 = no answer
};

struct HerdResult {
  std::map<int, int64_t> status_counts;       // HTTP status (0 = no answer) -> count
  std::vector<std::string> accepted_ids;      // distinct bookingIds answered 202
  std::vector<double> latencies_ms;           // one per request, ascending
  std::vector<double> accepted_latencies_ms;  // one per 202 answer, ascending
  std::vector<RequestRecord> records;         // one per request, by client
  // bookingId -> when its first 202 arrived, ms from the start.
  std::map<std::string, double> accepted_at_ms;
  std::chrono::steady_clock::time_point start;  // the clients' start signal
  int64_t start_unix_ms = 0;  // the wall clock at the start, to place Kafka timestamps
  double seconds = 0;         // first request to last answer
  int64_t duplicates_sent = 0;
};

HerdResult RunHerd(const HerdOptions& options);

// p in [0, 100] of `sorted` (ascending); 0 when empty.
double Percentile(const std::vector<double>& sorted, double p);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_LOADTEST_HERD_H_
