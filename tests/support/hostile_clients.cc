#include "support/hostile_clients.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <random>

namespace wanderluxe::testing {
namespace {

// A blocking TCP socket from `source` to 127.0.0.1:`port`; -1 on failure.
int ConnectFrom(const std::string& source, int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  sockaddr_in from{};
  from.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &from.sin_addr);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&from), sizeof from) != 0 ||
      connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) {
    close(fd);
    return -1;
  }
  timeval timeout{5, 0};  // a read never hangs the flood
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

// True when the server closed `fd` (it is readable and reads nothing).
bool ClosedByServer(int fd) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, 0) <= 0) return false;
  char byte;
  return recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT) <= 0;
}

// Reads one response on `fd`; its status, 0 when the connection failed.
int ReadStatus(int fd) {
  std::string in;
  char buffer[4096];
  size_t head_end = std::string::npos;
  while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return 0;
    in.append(buffer, static_cast<size_t>(n));
  }
  size_t length = 0;
  const size_t at = in.find("Content-Length: ");
  if (at != std::string::npos && at < head_end) length = std::stoul(in.substr(at + 16));
  while (in.size() < head_end + 4 + length) {
    const ssize_t n = recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return 0;
    in.append(buffer, static_cast<size_t>(n));
  }
  if (in.size() < 12 || in.compare(0, 5, "HTTP/") != 0) return 0;
  return std::atoi(in.c_str() + 9);
}

}  // namespace

ConnectionHog::ConnectionHog(std::string source, int port, int connections,
                             std::chrono::milliseconds reopen_every)
    : source_(std::move(source)),
      port_(port),
      connections_(connections),
      reopen_every_(reopen_every),
      thread_([this] { Run(); }) {}

ConnectionHog::~ConnectionHog() { Stop(); }

void ConnectionHog::Stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void ConnectionHog::Run() {
  std::vector<int> open;
  while (!stop_) {
    for (auto it = open.begin(); it != open.end();) {
      if (ClosedByServer(*it)) {
        close(*it);
        ++closed_by_server_;
        it = open.erase(it);
      } else {
        ++it;
      }
    }
    while (static_cast<int>(open.size()) < connections_ && !stop_) {
      const int fd = ConnectFrom(source_, port_);
      if (fd < 0) break;
      open.push_back(fd);
      ++opened_;
    }
    std::this_thread::sleep_for(reopen_every_);  // the hog's pace, not a readiness wait
  }
  for (int fd : open) close(fd);
}

ReadFlood::ReadFlood(std::string source, int port, int threads, double per_second)
    : source_(std::move(source)),
      port_(port),
      interval_(std::chrono::nanoseconds(static_cast<int64_t>(1e9 * threads / per_second))) {
  for (int t = 0; t < threads; ++t) threads_.emplace_back([this, t] { Run(t); });
}

ReadFlood::~ReadFlood() { Stop(); }

void ReadFlood::Stop() {
  stop_ = true;
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

int64_t ReadFlood::answered(int status) const {
  switch (status) {
    case 200:
      return ok_.load();
    case 404:
      return not_found_.load();
    case 429:
      return too_many_.load();
    case 0:
      return failed_.load();
    default:
      return other_.load();
  }
}

void ReadFlood::Run(int thread) {
  std::mt19937_64 random(static_cast<uint64_t>(thread) * 7919 + 1);
  int fd = -1;
  auto next = std::chrono::steady_clock::now();
  while (!stop_) {
    std::this_thread::sleep_until(next);  // the flood's rate, not a readiness wait
    next += interval_;
    if (fd < 0) fd = ConnectFrom(source_, port_);
    if (fd < 0) {
      ++failed_;
      continue;
    }
    const std::string request = "GET /api/v1/bookings/guess-" + std::to_string(random()) +
                                " HTTP/1.1\r\nHost: gateway\r\n\r\n";
    ++sent_;
    const int status = send(fd, request.data(), request.size(), MSG_NOSIGNAL) ==
                               static_cast<ssize_t>(request.size())
                           ? ReadStatus(fd)
                           : 0;
    switch (status) {
      case 200:
        ++ok_;
        break;
      case 404:
        ++not_found_;
        break;
      case 429:
        ++too_many_;
        break;
      case 0:
        ++failed_;
        break;
      default:
        ++other_;
        break;
    }
    if (status == 0) {
      close(fd);
      fd = -1;
    }
  }
  if (fd >= 0) close(fd);
}

}  // namespace wanderluxe::testing
