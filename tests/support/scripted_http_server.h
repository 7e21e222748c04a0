// A loopback HTTP/1.1 server for client tests: every connection is served on
// a thread of its own, request after request, and a script says what becomes
// of the n-th request on a connection (answer and keep the connection, close
// it unanswered, stall half-way through the answer, ...). It counts the
// connections it accepted, the requests it read and the connections their
// client closed (and those it closed itself), so a test can see what a client's pool did.
//
// Thread safety: the accessors may be called from any thread while it serves.
#ifndef WANDERLUXE_TESTS_SUPPORT_SCRIPTED_HTTP_SERVER_H_
#define WANDERLUXE_TESTS_SUPPORT_SCRIPTED_HTTP_SERVER_H_

#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "wanderluxe/mutex.h"
#include "wanderluxe/thread_annotations.h"

namespace wanderluxe::testing {

enum class ScriptedReply {
  kAnswer,               // 200 with a Content-Length body; the connection stays open
  kAnswerClose,          // the same with `Connection: close`, then the server closes
  kAnswerThenClose,      // answers as if to keep the connection, then closes it
  kAnswerCloseKeepOpen,  // `Connection: close`, but the server leaves the socket open
  kCloseUnanswered,      // reads the request, closes without a byte of answer
  kStallMidAnswer,       // half of the answer, then nothing until the server stops
};

// The body of every answer: a captured charge, for HttpBank.
inline constexpr const char* kScriptedAnswerBody =
    R"({"status":"CAPTURED","transactionId":"tx-s"})";

class ScriptedHttpServer {
 public:
  // `script(n)`: what to do with the n-th request (from 1) on a connection.
  explicit ScriptedHttpServer(std::function<ScriptedReply(int)> script);
  ~ScriptedHttpServer();
  ScriptedHttpServer(const ScriptedHttpServer&) = delete;
  ScriptedHttpServer& operator=(const ScriptedHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int accepted() const { return accepted_.load(); }
  int requests() const { return requests_.load(); }
  int closed_by_client() const { return closed_by_client_.load(); }
  int closed_by_server() const { return closed_by_server_.load(); }
  // Holds every answer until `n` requests are waiting for one at once (then
  // answers them all), for tests that need calls in flight together.
  void HoldAnswersUntilWaiting(int n);

 private:
  void Accept();
  void Serve(int fd);
  // Serves `fd` until one side ends it; true when the client closed it.
  bool ServeRequests(int fd);
  void AwaitGate();

  std::function<ScriptedReply(int)> script_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::atomic<int> requests_{0};
  std::atomic<int> closed_by_client_{0};
  std::atomic<int> closed_by_server_{0};
  std::thread acceptor_;
  Mutex mu_;
  CondVar gate_cv_{&mu_};
  int hold_until_ GUARDED_BY(mu_) = 0;
  int waiting_ GUARDED_BY(mu_) = 0;
  bool gate_open_ GUARDED_BY(mu_) = false;
  bool stopping_ GUARDED_BY(mu_) = false;
  std::vector<int> open_fds_ GUARDED_BY(mu_);
  std::vector<std::thread> servers_ GUARDED_BY(mu_);
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_SCRIPTED_HTTP_SERVER_H_
