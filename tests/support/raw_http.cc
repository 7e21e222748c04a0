#include "support/raw_http.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace wanderluxe::testing {
namespace {

using Clock = std::chrono::steady_clock;

}  // namespace

int ConnectLoopback(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  REQUIRE_MESSAGE(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0,
                  "connect to 127.0.0.1:", port);
  return fd;
}

// Parses the status line and headers of `head` (without the blank line).
void ParseRawHttpHead(const std::string& head, RawHttpResponse& out) {
  size_t line_end = head.find("\r\n");
  const std::string status_line = head.substr(0, line_end);
  if (status_line.rfind("HTTP/1.", 0) == 0 && status_line.size() >= 12) {
    out.status = std::atoi(status_line.c_str() + 9);
  }
  while (line_end != std::string::npos) {
    const size_t start = line_end + 2;
    line_end = head.find("\r\n", start);
    const std::string line = head.substr(start, line_end - start);
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    out.headers.emplace_back(line.substr(0, colon), value);
  }
}

std::string RawHttpResponse::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

RawHttpResponse RawHttpExchange(int port, const std::string& request,
                                std::chrono::milliseconds bound, bool head) {
  const int fd = ConnectLoopback(port);
  REQUIRE(send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
          static_cast<ssize_t>(request.size()));
  const auto start = Clock::now();
  const auto deadline = start + bound;
  RawHttpResponse out;
  std::string received;
  size_t body_start = std::string::npos;
  size_t want = 0;  // body bytes the headers announced
  for (;;) {
    if (body_start != std::string::npos && !head && received.size() - body_start >= want) {
      out.complete = true;
      break;
    }
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) break;
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      out.complete = head && body_start != std::string::npos;
      break;
    }
    received.append(buf, static_cast<size_t>(n));
    if (body_start == std::string::npos) {
      const size_t end = received.find("\r\n\r\n");
      if (end == std::string::npos) continue;
      ParseRawHttpHead(received.substr(0, end), out);
      body_start = end + 4;
      want = static_cast<size_t>(std::strtoull(out.Header("Content-Length").c_str(), nullptr, 10));
    }
  }
  out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
  if (body_start != std::string::npos) {
    out.body = received.substr(body_start, head ? std::string::npos : want);
  }
  close(fd);
  return out;
}

}  // namespace wanderluxe::testing
