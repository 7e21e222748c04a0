#include "support/raw_http_connection.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace wanderluxe::testing {
namespace {

using Clock = std::chrono::steady_clock;

std::chrono::milliseconds Left(Clock::time_point deadline) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
}

}  // namespace

RawHttpConnection::RawHttpConnection(int port) : fd_(ConnectLoopback(port)) {}

RawHttpConnection::~RawHttpConnection() { close(fd_); }

bool RawHttpConnection::Send(const std::string& bytes) {
  return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

bool RawHttpConnection::Receive(std::chrono::milliseconds bound) {
  if (closed_) return false;
  pollfd p{fd_, POLLIN, 0};
  if (poll(&p, 1, static_cast<int>(std::max<int64_t>(bound.count(), 0))) <= 0) return true;
  char buf[4096];
  const ssize_t n = recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    closed_ = true;
    return false;
  }
  received_.append(buf, static_cast<size_t>(n));
  return true;
}

RawHttpResponse RawHttpConnection::Read(std::chrono::milliseconds bound, bool head) {
  const auto start = Clock::now();
  const auto deadline = start + bound;
  RawHttpResponse out;
  for (;;) {
    const size_t end = received_.find("\r\n\r\n");
    if (end != std::string::npos) {
      RawHttpResponse parsed;
      ParseRawHttpHead(received_.substr(0, end), parsed);
      const size_t want = head ? 0
                               : static_cast<size_t>(std::strtoull(
                                     parsed.Header("Content-Length").c_str(), nullptr, 10));
      if (received_.size() - (end + 4) >= want) {
        out = parsed;
        out.body = received_.substr(end + 4, want);
        out.complete = true;
        received_.erase(0, end + 4 + want);
        break;
      }
    }
    if (Left(deadline).count() <= 0 || !Receive(Left(deadline))) break;
  }
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  return out;
}

bool RawHttpConnection::WaitClosed(std::chrono::milliseconds bound) {
  const auto deadline = Clock::now() + bound;
  while (Left(deadline).count() > 0) {
    if (!Receive(Left(deadline))) return true;
  }
  return closed_;
}

}  // namespace wanderluxe::testing
