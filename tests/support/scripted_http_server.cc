#include "support/scripted_http_server.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string_view>

namespace wanderluxe::testing {
namespace {

// How often the accept loop looks at its stop flag.
constexpr int kAcceptPollMs = 50;
constexpr int kListenBacklog = 128;

std::string Answer(bool close) {
  const std::string_view body = kScriptedAnswerBody;
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n" + (close ? "Connection: close\r\n" : "") + "\r\n" +
         std::string(body);
}

bool SendAll(int fd, const std::string& bytes) {
  return send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
}

enum class Read { kRequest, kClosed, kBroken };

// One request (head, then Content-Length bytes of body) off the front of
// what `fd` sends; bytes past it stay in `in`.
Read ReadRequest(int fd, std::string* in) {
  size_t want = std::string::npos;
  for (;;) {
    const size_t head_end = in->find("\r\n\r\n");
    if (head_end != std::string::npos) {
      size_t length = 0;
      const size_t at = in->find("Content-Length: ");
      if (at != std::string::npos && at < head_end) length = std::stoul(in->substr(at + 16));
      want = head_end + 4 + length;
      if (in->size() >= want) {
        in->erase(0, want);
        return Read::kRequest;
      }
    }
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0 && in->empty()) return Read::kClosed;
    if (n <= 0) return Read::kBroken;
    in->append(buf, static_cast<size_t>(n));
  }
}

}  // namespace

ScriptedHttpServer::ScriptedHttpServer(std::function<ScriptedReply(int)> script)
    : script_(std::move(script)) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(listen_fd_ >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(listen(listen_fd_, kListenBacklog) == 0);
  socklen_t len = sizeof addr;
  REQUIRE(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  port_ = ntohs(addr.sin_port);
  acceptor_ = std::thread([this] { Accept(); });
}

ScriptedHttpServer::~ScriptedHttpServer() {
  stop_ = true;
  acceptor_.join();
  std::vector<std::thread> servers;
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    for (int fd : open_fds_) shutdown(fd, SHUT_RDWR);
    servers.swap(servers_);
  }
  gate_cv_.SignalAll();
  for (std::thread& t : servers) t.join();
  close(listen_fd_);
}

void ScriptedHttpServer::HoldAnswersUntilWaiting(int n) {
  MutexLock lock(&mu_);
  hold_until_ = n;
}

void ScriptedHttpServer::Accept() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, kAcceptPollMs) <= 0) continue;
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    ++accepted_;
    MutexLock lock(&mu_);
    open_fds_.push_back(fd);
    servers_.emplace_back([this, fd] { Serve(fd); });
  }
}

void ScriptedHttpServer::Serve(int fd) {
  const bool client_closed = ServeRequests(fd);
  {
    MutexLock lock(&mu_);
    std::erase(open_fds_, fd);
    close(fd);
  }
  // Counted once closed: a test that sees the count sees the close.
  ++(client_closed ? closed_by_client_ : closed_by_server_);
}

bool ScriptedHttpServer::ServeRequests(int fd) {
  std::string in;
  for (int n = 1;; ++n) {
    const Read read = ReadRequest(fd, &in);
    if (read != Read::kRequest) return read == Read::kClosed;
    ++requests_;
    AwaitGate();
    const ScriptedReply reply = script_(n);
    if (reply == ScriptedReply::kCloseUnanswered) return false;
    if (reply == ScriptedReply::kStallMidAnswer) {
      const std::string answer = Answer(false);
      SendAll(fd, answer.substr(0, answer.size() / 2));
      MutexLock lock(&mu_);
      gate_cv_.Wait([&]() REQUIRES(mu_) { return stopping_; });
      return false;
    }
    const bool header =
        reply == ScriptedReply::kAnswerClose || reply == ScriptedReply::kAnswerCloseKeepOpen;
    if (!SendAll(fd, Answer(header))) return false;
    if (reply == ScriptedReply::kAnswerClose || reply == ScriptedReply::kAnswerThenClose) {
      return false;
    }
  }
}

void ScriptedHttpServer::AwaitGate() {
  MutexLock lock(&mu_);
  if (hold_until_ == 0 || gate_open_) return;
  if (++waiting_ >= hold_until_) {
    gate_open_ = true;
    gate_cv_.SignalAll();
  }
  gate_cv_.Wait([&]() REQUIRES(mu_) { return gate_open_ || stopping_; });
}

}  // namespace wanderluxe::testing
