// Clients that misbehave from a loopback address of their own, for the
// hostile-client drill. Linux routes all of 127.0.0.0/8 to lo, so a socket
// bound to 127.0.0.9 reaches a server listening on 127.0.0.1 and is seen by
// it as coming from 127.0.0.9: one "address" apart from the well-behaved
// clients on 127.0.0.1.
//
// Thread safety: each runs threads of its own from construction until Stop
// (or destruction); the counters may be read from any thread at any time.
#ifndef WANDERLUXE_TESTS_SUPPORT_HOSTILE_CLIENTS_H_
#define WANDERLUXE_TESTS_SUPPORT_HOSTILE_CLIENTS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace wanderluxe::testing {

// Holds `connections` connections open to 127.0.0.1:`port` from `source`,
// sending nothing; each one the server closes is opened again, a round at
// most every `reopen_every`.
class ConnectionHog {
 public:
  ConnectionHog(std::string source, int port, int connections,
                std::chrono::milliseconds reopen_every);
  ~ConnectionHog();
  void Stop();

  int64_t opened() const { return opened_.load(); }
  int64_t closed_by_server() const { return closed_by_server_.load(); }

 private:
  void Run();

  const std::string source_;
  const int port_;
  const int connections_;
  const std::chrono::milliseconds reopen_every_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> opened_{0}, closed_by_server_{0};
  std::thread thread_;
};

// GETs of random unknown booking ids from `source`, at `per_second` in total
// over `threads` kept-alive connections, each answer counted by status (0: the
// connection failed or closed first).
class ReadFlood {
 public:
  ReadFlood(std::string source, int port, int threads, double per_second);
  ~ReadFlood();
  void Stop();

  int64_t answered(int status) const;
  int64_t sent() const { return sent_.load(); }

 private:
  void Run(int thread);

  const std::string source_;
  const int port_;
  const std::chrono::nanoseconds interval_;  // between one thread's requests
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> sent_{0}, ok_{0}, not_found_{0}, too_many_{0}, other_{0}, failed_{0};
  std::vector<std::thread> threads_;
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_HOSTILE_CLIENTS_H_
