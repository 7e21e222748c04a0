// A herd of HTTP clients that behave as a careful client of the gateway must
// when the gateway goes away: each client sends its bookings one after the
// other and, on no answer (connection refused or reset, timeout), a 503, a
// 504 or a 409 (RetryingHerdOptions::retry_on), sends the same request again with the same
// Idempotency-Key, with capped exponential backoff and a bounded number of attempts, until it has a
// 202 or another final answer. The clients run on their own threads, so a drill can stop or kill
// the gateway mid-herd and watch them recover.
#ifndef WANDERLUXE_TESTS_SUPPORT_RETRYING_HERD_H_
#define WANDERLUXE_TESTS_SUPPORT_RETRYING_HERD_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace wanderluxe::testing {

struct RetryingHerdOptions {
  std::string url;  // the gateway, "http://127.0.0.1:<port>"
  std::string property_id;
  // When not empty, in place of `property_id`: the herd's n-th key (in pacing
  // order) books properties[n % size].
  std::vector<std::string> properties;
  std::string id_prefix;  // bookingId = Idempotency-Key = <id_prefix>-<n>
  int clients = 16;       // one connection and one thread each
  int keys_per_client = 100;
  double keys_per_second = 0;  // new keys per second over all clients; 0 = unpaced
  int max_attempts = 100;      // per key, the first send included
  // Answers after which a key is sent again (0: no answer); any other is final.
  std::set<int> retry_on = {0, 409, 503, 504};
  std::chrono::milliseconds backoff_initial{25};
  std::chrono::milliseconds backoff_max{1000};  // also caps a Retry-After
  std::chrono::milliseconds request_timeout{5000};
  // Every n-th key is sent once more after its 202 (0: never); the answer
  // must be the stored one, replayed.
  int resend_every = 10;
  // When not empty, in place of `url`: gateways behind one address, as a
  // load balancer spreads them. Client c starts on urls[c % n] and sends a
  // key's next attempt to the next gateway after a retryable answer.
  std::vector<std::string> urls;
};

// One 202 a key was answered with.
struct Accepted202 {
  std::string booking_id;  // of the body
  std::string event_id;    // of the body
  bool replayed = false;   // Idempotent-Replayed: true
};

struct KeyOutcome {
  std::string key;  // the Idempotency-Key, and the bookingId sent
  std::string property_id;
  int attempts = 0;
  std::vector<int> answers;        // every attempt's status (0 = none), in order
  std::vector<double> answered_s;  // when each answer came, seconds after the herd started
  // 202, another final answer, or the last retryable answer (0: none) when
  // the attempts ran out.
  int final_status = 0;
  std::vector<Accepted202> accepted;  // every 202, the resend's included
  bool resent = false;                // sent again after its 202 (resend_every)
  int resend_status = 0;              // the resend's final answer
};

struct RetryingHerdResult {
  std::vector<KeyOutcome> keys;
  std::map<int, int64_t> statuses;  // every attempt's answer (0 = none) -> count
  int64_t requests = 0;             // every send, retries and resends included
  int64_t retries = 0;              // sends of a key after a retryable answer
  double seconds = 0;               // first send to last answer
};

class RetryingHerd {
 public:
  // Starts the clients at once.
  explicit RetryingHerd(RetryingHerdOptions options);
  // Stops the clients after their request in hand, if Wait was not called.
  ~RetryingHerd();
  RetryingHerd(const RetryingHerd&) = delete;
  RetryingHerd& operator=(const RetryingHerd&) = delete;

  int64_t total_keys() const;
  // Keys with a final answer, or out of attempts, so far.
  int64_t finished_keys() const { return finished_.load(); }
  // Joins the clients and merges what they saw.
  RetryingHerdResult Wait();

 private:
  struct ClientTally {
    std::vector<KeyOutcome> keys;
    std::map<int, int64_t> statuses;
    int64_t requests = 0;
    int64_t retries = 0;
    std::chrono::steady_clock::time_point last_answer;
  };
  void RunClient(int client, ClientTally& tally);

  const RetryingHerdOptions options_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> finished_{0};
  std::atomic<bool> stop_{false};
  std::vector<ClientTally> tallies_;
  std::vector<std::thread> threads_;
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_RETRYING_HERD_H_
