// Bank calls per second through HttpBank, against a running `wanderluxe bank`
// (bench/bank_pool.sh starts one): --threads threads each charge fresh keys in
// a loop for --seconds, over a pool of --pool-size kept connections (0: a
// connection per call). Prints one JSON line: calls, calls/s, the call
// latency's p50 and p99, and the connections the client opened, reused and
// retried (HttpConnectionPool's counts).
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "adapters/bank/http_bank.h"

namespace wanderluxe {
namespace {

using Clock = std::chrono::steady_clock;

struct BenchOptions {
  std::string url = "http://127.0.0.1:8090";
  int64_t threads = 32;
  int64_t seconds = 10;
  int64_t pool_size = 64;
  int64_t timeout_ms = 5000;
};

struct ThreadResult {
  int64_t captured = 0;
  int64_t failed = 0;
  std::vector<double> latencies_ms;
};

ThreadResult Drive(HttpBank& bank, const BenchOptions& o, int thread, Clock::time_point end) {
  ThreadResult r;
  const std::string prefix = "bench-" + std::to_string(getpid()) + "-" + std::to_string(thread);
  for (int64_t i = 0; Clock::now() < end; ++i) {
    const auto start = Clock::now();
    const ChargeResult c = bank.Charge(prefix + "-" + std::to_string(i), Money{100, "USD"},
                                       std::chrono::milliseconds(o.timeout_ms));
    r.latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    ++(c.outcome == ChargeOutcome::kCaptured ? r.captured : r.failed);
  }
  return r;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  const size_t at = std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(at), v.end());
  return v[at];
}

int Main(const BenchOptions& o) {
  HttpBank bank(o.url, static_cast<size_t>(o.pool_size));
  std::vector<ThreadResult> results(static_cast<size_t>(o.threads));
  std::vector<std::thread> threads;
  const auto start = Clock::now();
  const auto end = start + std::chrono::seconds(o.seconds);
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] { results[static_cast<size_t>(t)] = Drive(bank, o, t, end); });
  }
  for (std::thread& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  int64_t captured = 0, failed = 0;
  std::vector<double> latencies;
  for (ThreadResult& r : results) {
    captured += r.captured;
    failed += r.failed;
    latencies.insert(latencies.end(), r.latencies_ms.begin(), r.latencies_ms.end());
  }
  const HttpConnectionPool::Counts counts = bank.pool_counts();
  const nlohmann::json line = {{"pool_size", o.pool_size},
                               {"threads", o.threads},
                               {"seconds", elapsed},
                               {"captured", captured},
                               {"failed", failed},
                               {"calls_per_s", static_cast<double>(captured + failed) / elapsed},
                               {"p50_ms", Percentile(latencies, 0.50)},
                               {"p99_ms", Percentile(latencies, 0.99)},
                               {"opened", counts.opened},
                               {"reused", counts.reused},
                               {"retried", counts.retried}};
  std::printf("%s\n", line.dump().c_str());
  return failed == 0 ? 0 : 1;
}

}  // namespace
}  // namespace wanderluxe

int main(int argc, char** argv) {
  wanderluxe::BenchOptions o;
  CLI::App app{"HttpBank calls per second against a running wanderluxe bank"};
  app.add_option("--url", o.url);
  app.add_option("--threads", o.threads)->check(CLI::Range(1, 4096));
  app.add_option("--seconds", o.seconds)->check(CLI::Range(1, 3600));
  app.add_option("--pool-size", o.pool_size)->check(CLI::Range(0, 1024));
  app.add_option("--timeout-ms", o.timeout_ms)->check(CLI::Range(1, 60000));
  CLI11_PARSE(app, argc, argv);
  return wanderluxe::Main(o);
}
