// One kept-alive HTTP/1.1 connection over a plain loopback socket, byte for
// byte: for pipelining (several requests in one write), keep-alive reuse,
// clients that send slowly or not at all, and for seeing when the server
// closes. RawHttpExchange (raw_http.h) is the one-request form.
#ifndef WANDERLUXE_TESTS_SUPPORT_RAW_HTTP_CONNECTION_H_
#define WANDERLUXE_TESTS_SUPPORT_RAW_HTTP_CONNECTION_H_

#include <chrono>
#include <string>

#include "support/raw_http.h"

namespace wanderluxe::testing {

class RawHttpConnection {
 public:
  // Connects to 127.0.0.1:`port` (a failed connect fails the test).
  explicit RawHttpConnection(int port);
  ~RawHttpConnection();
  RawHttpConnection(const RawHttpConnection&) = delete;
  RawHttpConnection& operator=(const RawHttpConnection&) = delete;

  // Sends `bytes` as they are, in one write; false if the server has gone.
  bool Send(const std::string& bytes);
  // Reads the next response for at most `bound` (complete = false if it did
  // not arrive whole). `head`: it answers HEAD, so no body follows its head.
  RawHttpResponse Read(std::chrono::milliseconds bound, bool head = false);
  // True when the server closes the connection within `bound`; bytes that
  // arrive first are kept for Read.
  bool WaitClosed(std::chrono::milliseconds bound);
  int fd() const { return fd_; }

 private:
  // Reads what is available within `bound`: false when the server closed.
  bool Receive(std::chrono::milliseconds bound);

  int fd_ = -1;
  bool closed_ = false;
  std::string received_;  // bytes read and not yet returned by Read
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_RAW_HTTP_CONNECTION_H_
