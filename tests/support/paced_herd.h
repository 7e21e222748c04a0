// A herd of well-behaved clients for the server-kill drills: each books its
// share of bookings over HTTP, one at a time, and retries a booking with the
// same Idempotency-Key (= its bookingId) after a 503, a 504, a 409 or no answer,
// until the gateway answers 202 or the booking's bound passes. Unlike the
// loadtest's herd (src/roles/loadtest/herd.h), a booking ends accepted unless
// the system never recovers, and every answer is kept for the drill's checks.
#ifndef WANDERLUXE_TESTS_SUPPORT_PACED_HERD_H_
#define WANDERLUXE_TESTS_SUPPORT_PACED_HERD_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace wanderluxe::testing {

// The request body the herd sends for a booking (10.00 USD).
std::string BookingJson(const std::string& booking_id, const std::string& property);

struct PacedHerdOptions {
  std::string url;  // the gateway
  std::string property;
  std::vector<std::string> booking_ids;  // each booked once, retried until 202
  int clients = 32;                      // threads, one connection each
  std::chrono::milliseconds request_timeout{10'000};
  std::chrono::milliseconds backoff{500};  // before a booking's next attempt
  std::chrono::milliseconds pace{0};       // least time between a client's requests
  std::chrono::seconds give_up{180};       // per booking, from its first attempt
  // Called on the client's thread with each answer (status 0: none), before
  // the client retries: a drill checks what a refusal left behind here.
  std::function<void(const std::string& booking_id, int status)> on_answer;
};

struct HerdAnswer {
  double at_s = 0;       // when it came, in seconds since the herd started
  int status = 0;        // HTTP status, 0 = no answer
  double latency_s = 0;  // from its request's send to the answer
};

struct PacedHerdResult {
  std::map<int, int64_t> status_counts;         // every answer, retries included
  std::map<std::string, std::string> accepted;  // bookingId -> body of its 202
  std::vector<std::string> not_accepted;        // gave up, or a final answer not 202/503/504/409
  std::vector<HerdAnswer> answers;              // every answer, in no particular order
  double seconds = 0;                           // start to the last answer
  int64_t requests() const;
  // When the first answer with `status` came after `after_s`; -1 if none did.
  double FirstAfter(int status, double after_s) const;
  // The `q` quantile (0..1) of the latencies of answers with `status`; -1 if none.
  double LatencyQuantile(int status, double q) const;
};

class PacedHerd {
 public:
  explicit PacedHerd(PacedHerdOptions options);  // the clients start at once
  ~PacedHerd();                                  // waits for them

  PacedHerd(const PacedHerd&) = delete;
  PacedHerd& operator=(const PacedHerd&) = delete;

  // Live counts, for a drill deciding when to strike.
  int64_t accepted() const { return accepted_.load(); }
  int64_t refused() const { return refused_.load(); }  // 503 and 504 answers so far
  double Elapsed() const;                              // seconds since the start

  // Waits for every client to finish, then merges what they saw.
  PacedHerdResult Wait();

 private:
  struct ClientTally {
    std::map<int, int64_t> statuses;
    std::map<std::string, std::string> accepted;
    std::vector<std::string> not_accepted;
    std::vector<HerdAnswer> answers;
  };
  void RunClient(size_t client);

  const PacedHerdOptions options_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> accepted_{0}, refused_{0};
  std::vector<ClientTally> tallies_;  // one per client, read only after the join
  std::vector<std::thread> threads_;
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_PACED_HERD_H_
