// HttpBank against a loopback server that trickles its answer: a few bytes at
// a time, each well within the call's timeout, so that only a bound on the
// whole exchange (connect + send + receive) can stop it. The port promises
// that a call given `timeout` returns within it: past it, a charge is
// kUnknown and a lookup or void kDeadlineExceeded. Then the same client
// against the real `wanderluxe bank` role: answering at once, and slower than
// the call; keeping its connections alive (counted by the kernel, in
// /proc/net/tcp), across a restart of the role and from many threads; and
// against a port where nothing listens.
#include "adapters/bank/http_bank.h"

#include <doctest/doctest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/loopback_connections.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// The timeout each call is given.
constexpr milliseconds kCallTimeout(500);
// How much later than its timeout a call may return: the loop's wake-up and
// the scheduler of a loaded 2-core machine, never another read.
constexpr milliseconds kReturnSlack(250);
// The trickle: kTrickleBytes every kTrickleGap, each gap a fifth of the
// timeout, so no single read waits long; the whole answer takes several
// timeouts.
constexpr size_t kTrickleBytes = 4;
constexpr milliseconds kTrickleGap(100);
// How often the server's accept loop looks at its stop flag.
constexpr int kAcceptPollMs = 50;
// The bank role: how long it may take to answer /healthz after its start, and
// the latency that makes it slower than kCallTimeout.
constexpr auto kBankStartBound = std::chrono::seconds(30);
constexpr milliseconds kSlowBankLatency(3 * kCallTimeout);
// The connections the client keeps, and the calls of the keep-alive cases.
constexpr size_t kPoolSize = 4;
constexpr int kSequentialCalls = 50;
constexpr int kThreads = 16;
constexpr int kCallsPerThread = 20;

const std::string kBody = R"({"status":"CAPTURED","transactionId":"tx-trickled"})";
const std::string kAnswer =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
    std::to_string(kBody.size()) + "\r\n\r\n" + kBody;

// Accepts connections on 127.0.0.1 and, for each, reads the request's head
// and body, then writes kAnswer kTrickleBytes at a time, kTrickleGap apart,
// until it is all sent or the client has gone.
class TricklingServer {
 public:
  TricklingServer() {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(listen_fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(listen_fd_, 16) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TricklingServer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  TricklingServer(const TricklingServer&) = delete;
  TricklingServer& operator=(const TricklingServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, kAcceptPollMs) <= 0) continue;
      const int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      if (ReadRequest(fd)) Trickle(fd);
      close(fd);
    }
  }

  // The head, then Content-Length bytes of body (0 when absent).
  static bool ReadRequest(int fd) {
    std::string in;
    char buf[1024];
    size_t head_end = std::string::npos;
    size_t want = 0;
    while (head_end == std::string::npos || in.size() < want) {
      const ssize_t n = recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return false;
      in.append(buf, static_cast<size_t>(n));
      if (head_end == std::string::npos && (head_end = in.find("\r\n\r\n")) != std::string::npos) {
        size_t length = 0;
        const size_t at = in.find("Content-Length: ");
        if (at != std::string::npos && at < head_end) length = std::stoul(in.substr(at + 16));
        want = head_end + 4 + length;
      }
    }
    return true;
  }

  void Trickle(int fd) {
    for (size_t at = 0; at < kAnswer.size() && !stop_; at += kTrickleBytes) {
      const std::string piece = kAnswer.substr(at, kTrickleBytes);
      if (send(fd, piece.data(), piece.size(), MSG_NOSIGNAL) < 0) return;
      std::this_thread::sleep_for(kTrickleGap);
    }
  }

  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

milliseconds Since(Clock::time_point start) {
  return std::chrono::duration_cast<milliseconds>(Clock::now() - start);
}

// Runs `call` (a Lookup or a Void): it must give up within its timeout.
template <typename Call>
void ExpectDeadlineExceeded(const std::string& name, Call call) {
  const auto start = Clock::now();
  const Result<ChargeState> r = call();
  const milliseconds took = Since(start);
  MESSAGE(name, " took ", took.count(), " ms; ",
          r.ok() ? std::string(ChargeStateName(*r)) : r.status().ToString());
  CHECK(took <= kCallTimeout + kReturnSlack);
  CHECK((!r.ok() && r.status().code() == StatusCode::kDeadlineExceeded));
}

// `wanderluxe bank` as a child process on a free loopback port, its book in a
// directory of its own, answering /healthz before the constructor returns.
class BankRole {
 public:
  explicit BankRole(milliseconds latency)
      : dir_("/tmp/" + testing::UniqueName("wanderluxe-http-bank")),
        port_(testing::FreeLoopbackPort()) {
    std::filesystem::create_directories(dir_);
    std::vector<std::string> args = {"bank"};
    for (const std::string& set : std::vector<std::string>{
             "bank.listen_host=127.0.0.1", "bank.port=" + std::to_string(port_),
             "bank.latency_ms=" + std::to_string(latency.count()), "bank.decline_pct=0",
             "bank.timeout_pct=0", "bank.error_pct=0",
             "bank.book_path=" + dir_ + "/charges.jsonl"}) {
      args.insert(args.end(), {"--set", set});
    }
    args_ = args;
    Start();
  }
  ~BankRole() {
    child_.reset();
    std::filesystem::remove_all(dir_);
  }
  BankRole(const BankRole&) = delete;
  BankRole& operator=(const BankRole&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }
  // SIGKILL, then the role again on the same port and book.
  void Restart() {
    child_.reset();
    Start();
  }

 private:
  void Start() {
    child_ = std::make_unique<testing::ChildProcess>(args_, dir_ + "/bank.log");
    HttpBank probe(url(), 0);
    REQUIRE_MESSAGE(
        testing::WaitUntil([&] { return probe.Void("probe", kCallTimeout).ok(); }, kBankStartBound),
        "the bank role did not answer; see ", dir_);
  }

  const std::string dir_;
  const int port_;
  std::vector<std::string> args_;
  std::unique_ptr<testing::ChildProcess> child_;
};

TEST_SUITE("integration.http_bank") {
  TEST_CASE("a bank that trickles its answer: every call returns within its timeout") {
    static_assert(kTrickleGap < kCallTimeout, "each read must be within a per-read timeout");
    REQUIRE(kAnswer.size() / kTrickleBytes * kTrickleGap > 2 * kCallTimeout);
    TricklingServer server;
    HttpBank bank(server.url(), 0);

    SUBCASE("Charge: kUnknown") {
      const auto start = Clock::now();
      const ChargeResult r = bank.Charge("trickle-charge", Money{1000, "USD"}, kCallTimeout);
      const milliseconds took = Since(start);
      MESSAGE("Charge took ", took.count(), " ms; outcome ", static_cast<int>(r.outcome), " ",
              r.detail);
      CHECK(took <= kCallTimeout + kReturnSlack);
      CHECK(r.outcome == ChargeOutcome::kUnknown);
    }
    SUBCASE("Void: kDeadlineExceeded") {
      ExpectDeadlineExceeded("Void", [&] { return bank.Void("trickle-void", kCallTimeout); });
    }
  }

  TEST_CASE("the bank role: a charge is captured, voided, and its key refused after") {
    BankRole role(milliseconds(0));
    HttpBank bank(role.url(), kPoolSize);
    const std::string key = testing::UniqueName("http-bank");
    const ChargeResult charge = bank.Charge(key, Money{1250, "USD"}, kCallTimeout);
    CHECK(charge.outcome == ChargeOutcome::kCaptured);
    CHECK_FALSE(charge.transaction_id.empty());
    CHECK(bank.Void(key, kCallTimeout).value() == ChargeState::kVoided);
    CHECK(bank.Charge(key, Money{1250, "USD"}, kCallTimeout).outcome == ChargeOutcome::kDeclined);
  }

  TEST_CASE("the bank role slower than the call: Charge is kUnknown within its timeout") {
    BankRole role(kSlowBankLatency);
    HttpBank bank(role.url(), kPoolSize);
    const auto start = Clock::now();
    const ChargeResult r =
        bank.Charge(testing::UniqueName("slow"), Money{1000, "USD"}, kCallTimeout);
    const milliseconds took = Since(start);
    MESSAGE("Charge took ", took.count(), " ms: ", r.detail);
    CHECK(took <= kCallTimeout + kReturnSlack);
    CHECK(r.outcome == ChargeOutcome::kUnknown);
  }

  TEST_CASE("the bank role keeps the connection alive: many charges, one connection") {
    BankRole role(milliseconds(0));
    for (const size_t pool_size : {kPoolSize, size_t{0}}) {
      CAPTURE(pool_size);
      HttpBank bank(role.url(), pool_size);
      const std::set<int> before = testing::ClientPortsOf(role.port());
      for (int i = 0; i < kSequentialCalls; ++i) {
        REQUIRE(bank.Charge(testing::UniqueName("kept"), Money{100, "USD"}, kCallTimeout).outcome ==
                ChargeOutcome::kCaptured);
      }
      std::set<int> opened = testing::ClientPortsOf(role.port());
      for (int port : before) opened.erase(port);
      // Seen by the kernel, not by the client's own counts.
      CHECK(opened.size() == (pool_size > 0 ? 1u : static_cast<size_t>(kSequentialCalls)));
      CHECK(bank.pool_counts().opened == opened.size());
    }
  }

  TEST_CASE("the bank role restarted: the kept connection is dropped, the next charge captured") {
    BankRole role(milliseconds(0));
    HttpBank bank(role.url(), kPoolSize);
    REQUIRE(bank.Charge(testing::UniqueName("before"), Money{100, "USD"}, kCallTimeout).outcome ==
            ChargeOutcome::kCaptured);
    role.Restart();
    const ChargeResult after =
        bank.Charge(testing::UniqueName("after"), Money{100, "USD"}, kCallTimeout);
    MESSAGE("after the restart: ", after.detail);
    CHECK(after.outcome == ChargeOutcome::kCaptured);
    CHECK(bank.pool_counts().opened == 2);
  }

  TEST_CASE("the bank role from many threads: every charge captured, at most pool_size kept") {
    BankRole role(milliseconds(0));
    HttpBank bank(role.url(), kPoolSize);
    std::atomic<int> captured{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kCallsPerThread; ++i) {
          if (bank.Charge(testing::UniqueName("many"), Money{100, "USD"}, kCallTimeout).outcome ==
              ChargeOutcome::kCaptured) {
            ++captured;
          }
        }
      });
    }
    for (std::thread& t : threads) t.join();
    const HttpConnectionPool::Counts counts = bank.pool_counts();
    MESSAGE("opened ", counts.opened, ", reused ", counts.reused, ", retried ", counts.retried);
    CHECK(captured == kThreads * kCallsPerThread);
    CHECK(counts.opened + counts.reused - counts.retried ==
          static_cast<uint64_t>(kThreads * kCallsPerThread));
    CHECK(testing::EstablishedClientsOf(role.port()) <= static_cast<int>(kPoolSize));
  }

  TEST_CASE("nothing listening: kUnavailable, at once") {
    HttpBank bank("http://127.0.0.1:" + std::to_string(testing::FreeLoopbackPort()), kPoolSize);
    const Result<ChargeState> r = bank.Void("nobody", kCallTimeout);
    CHECK((!r.ok() && r.status().code() == StatusCode::kUnavailable));
    CHECK(bank.Charge("nobody", Money{1000, "USD"}, kCallTimeout).outcome ==
          ChargeOutcome::kUnknown);
  }
}

}  // namespace
}  // namespace wanderluxe
