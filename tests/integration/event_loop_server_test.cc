// EventLoopServer in-process, with test routes, over raw loopback sockets:
// keep-alive and pipelining, deadlines, the connection limit, handlers that
// answer later or block, a thousand idle connections on a fixed set of
// threads, Stop's drain, and the framing cases the gateway's tests hold
// HttpServer to (gateway_test.cc), here without a gateway.
#include "adapters/http/event_loop_server.h"

#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/child_process.h"
#include "support/raw_http.h"
#include "support/raw_http_connection.h"
#include "wanderluxe/mutex.h"

namespace wanderluxe {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using testing::RawHttpConnection;
using testing::RawHttpExchange;
using testing::WaitUntil;

constexpr auto kBound = seconds(5);

std::string Request(const std::string& method, const std::string& target,
                    const std::vector<std::string>& headers = {}, const std::string& body = "") {
  std::string out = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
  for (const std::string& h : headers) out += h + "\r\n";
  if (!body.empty()) out += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return out + "\r\n" + body;
}

HttpResponse Text(int status, std::string body) {
  return HttpResponse{status, "text/plain", std::move(body), {}};
}

std::string ThreadName() {
  char name[32] = {};
  pthread_getname_np(pthread_self(), name, sizeof name);
  return name;
}

int ThreadsOfThisProcess() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  }
  FAIL("no Threads: line in /proc/self/status");
  return 0;
}

// Responders parked by the /held route, for the test to answer.
class Held {
 public:
  void Park(EventLoopServer::Responder responder) {
    MutexLock lock(&mu_);
    responders_.push_back(std::move(responder));
  }
  size_t count() {
    MutexLock lock(&mu_);
    return responders_.size();
  }
  // Answers the oldest parked request.
  void AnswerOldest(HttpResponse response) {
    EventLoopServer::Responder responder;
    {
      MutexLock lock(&mu_);
      REQUIRE(!responders_.empty());
      responder = std::move(responders_.front());
      responders_.erase(responders_.begin());
    }
    responder(std::move(response));
  }

 private:
  Mutex mu_;
  std::vector<EventLoopServer::Responder> responders_ GUARDED_BY(mu_);
};

// What the observer was told.
class Observed {
 public:
  void Add(const std::string& route, int status) {
    MutexLock lock(&mu_);
    seen_.emplace_back(route, status);
  }
  int Count(const std::string& route, int status) {
    MutexLock lock(&mu_);
    return static_cast<int>(std::count(seen_.begin(), seen_.end(), std::make_pair(route, status)));
  }

 private:
  Mutex mu_;
  std::vector<std::pair<std::string, int>> seen_ GUARDED_BY(mu_);
};

// A server with the test routes:
//   GET  /healthz       inline 200 "ok"
//   GET  /items/{id}    inline 200, the id
//   POST /echo          inline 200, the body
//   GET  /held          parked in `held` until the test answers it
//   GET  /later         answered from a thread of its own
//   GET  /blocking      on the blocking pool; waits for `release`, answers its thread's name
//   GET  /own           blocking, on a thread of its own: answers at once
//   GET  /throws        throws
//   GET  /dropped       drops its Responder unanswered
class TestServer {
 public:
  explicit TestServer(EventLoopServerOptions options = {}) : server(options) {
    server.OnResponse(
        [this](const std::string& route, int status) { observed.Add(route, status); });
    server.Route("GET", "/healthz",
                 [](HttpRequest, EventLoopServer::Responder r) { r(Text(200, "ok")); });
    server.Route("GET", "/items/{id}", [](HttpRequest req, EventLoopServer::Responder r) {
      r(Text(200, req.path_params.at(0)));
    });
    server.Route("POST", "/echo", [](HttpRequest req, EventLoopServer::Responder r) {
      r(Text(200, std::move(req.body)));
    });
    server.Route("GET", "/held",
                 [this](HttpRequest, EventLoopServer::Responder r) { held.Park(std::move(r)); });
    server.Route("GET", "/later", [this](HttpRequest, EventLoopServer::Responder r) {
      answering_threads.emplace_back([r = std::move(r)] {
        pthread_setname_np(pthread_self(), "test-answerer");  // else the loop thread's name
        r(Text(200, "from " + ThreadName()));
      });
    });
    server.RouteBlocking("GET", "/blocking", [this](const HttpRequest&) {
      ++blocked;
      WaitUntil([&] { return release.load(); }, seconds(10));
      return Text(200, ThreadName());
    });
    server.RouteBlocking(
        "GET", "/own", [](const HttpRequest&) { return Text(200, "own"); }, "GET /own",
        EventLoopServer::BlockingPool::kOwn);
    server.Route("GET", "/throws", [](HttpRequest, EventLoopServer::Responder) -> void {
      throw std::runtime_error("boom");
    });
    server.Route("GET", "/dropped", [](HttpRequest, EventLoopServer::Responder) {});
    REQUIRE(server.Start().ok());
  }
  ~TestServer() {
    release = true;
    server.Stop();
    for (auto& t : answering_threads) t.join();
  }

  int port() const { return server.port(); }

  EventLoopServer server;
  Held held;
  Observed observed;
  std::atomic<bool> release{false};
  std::atomic<int> blocked{0};
  std::vector<std::thread> answering_threads;  // the loop thread adds; joined at the end
};

bool ConnectRefused(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool refused = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0;
  close(fd);
  return refused;
}

TEST_SUITE("integration.event_loop_server") {
  TEST_CASE("keep-alive: one connection serves request after request") {
    TestServer s;
    RawHttpConnection c(s.port());
    for (int i = 0; i < 3; ++i) {
      REQUIRE(c.Send(Request("GET", "/items/i-" + std::to_string(i))));
      auto r = c.Read(kBound);
      REQUIRE(r.complete);
      CHECK(r.status == 200);
      CHECK(r.body == "i-" + std::to_string(i));
      CHECK(r.Header("Connection").empty());
    }
    CHECK(s.server.open_connections() == 1);
    CHECK(s.observed.Count("GET /items/{id}", 200) == 3);
  }

  TEST_CASE("pipelined requests in one write are answered in request order") {
    TestServer s;
    RawHttpConnection c(s.port());
    // The first waits for the test; the two after it are answered at once,
    // but leave only after it.
    REQUIRE(c.Send(Request("GET", "/held") + Request("POST", "/echo", {}, "second") +
                   Request("GET", "/items/third")));
    REQUIRE(WaitUntil([&] { return s.held.count() == 1; }, kBound));
    CHECK(!c.Read(milliseconds(300)).complete);
    s.held.AnswerOldest(Text(200, "first"));
    const std::string expected[] = {"first", "second", "third"};
    for (const std::string& body : expected) {
      auto r = c.Read(kBound);
      REQUIRE(r.complete);
      CHECK(r.status == 200);
      CHECK(r.body == body);
    }
    // And the connection still serves.
    REQUIRE(c.Send(Request("GET", "/healthz")));
    CHECK(c.Read(kBound).body == "ok");
  }

  TEST_CASE("a head not complete within the header deadline is cut; others are served meanwhile") {
    EventLoopServerOptions options;
    options.header_timeout_ms = 300;
    TestServer s(options);
    RawHttpConnection slow(s.port());
    const auto start = std::chrono::steady_clock::now();
    // A byte every 50 ms: each byte arrives well within any read timeout, but
    // the head is never complete.
    const std::string head = Request("GET", "/healthz", {"X-Pad: " + std::string(200, 'x')});
    bool closed = false;
    for (size_t i = 0; i < head.size() - 4 && !closed; ++i) {
      if (!slow.Send(head.substr(i, 1))) break;
      closed = slow.WaitClosed(milliseconds(50));
      if (i == 2) {
        auto normal = RawHttpExchange(s.port(), Request("GET", "/healthz"), kBound);
        CHECK(normal.status == 200);
        CHECK(normal.elapsed < milliseconds(200));
      }
    }
    if (!closed) closed = slow.WaitClosed(kBound);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(closed);
    CHECK(took >= milliseconds(300));
    CHECK(took < seconds(2));
    CHECK(s.server.cut_connections() == 1);
    REQUIRE(WaitUntil([&] { return s.server.open_connections() == 0; }, kBound));
  }

  TEST_CASE("a body not complete within the body deadline is cut") {
    EventLoopServerOptions options;
    options.body_timeout_ms = 300;
    TestServer s(options);
    RawHttpConnection c(s.port());
    REQUIRE(c.Send("POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nhalf"));
    CHECK(c.WaitClosed(seconds(3)));
    CHECK(s.server.cut_connections() == 1);
    CHECK(s.observed.Count("POST /echo", 200) == 0);
  }

  TEST_CASE("a keep-alive connection idle past the idle deadline is closed, not counted as cut") {
    EventLoopServerOptions options;
    options.idle_timeout_ms = 300;
    TestServer s(options);
    RawHttpConnection c(s.port());
    REQUIRE(c.Send(Request("GET", "/healthz")));
    REQUIRE(c.Read(kBound).status == 200);
    const auto start = std::chrono::steady_clock::now();
    CHECK(c.WaitClosed(seconds(3)));
    CHECK(std::chrono::steady_clock::now() - start >= milliseconds(250));
    CHECK(s.server.cut_connections() == 0);
  }

  TEST_CASE("beyond max_connections a connection is accepted and closed at once") {
    EventLoopServerOptions options;
    options.max_connections = 3;
    TestServer s(options);
    std::vector<std::unique_ptr<RawHttpConnection>> open;
    for (int i = 0; i < 3; ++i) {
      open.push_back(std::make_unique<RawHttpConnection>(s.port()));
      REQUIRE(open.back()->Send(Request("GET", "/healthz")));
      REQUIRE(open.back()->Read(kBound).status == 200);
    }
    RawHttpConnection extra(s.port());
    extra.Send(Request("GET", "/healthz"));
    CHECK(extra.WaitClosed(kBound));
    CHECK(s.server.rejected_connections() == 1);
    CHECK(s.server.open_connections() == 3);
    for (auto& c : open) {
      REQUIRE(c->Send(Request("GET", "/healthz")));
      CHECK(c->Read(kBound).status == 200);
    }
    // A place freed is a place taken again.
    open.pop_back();
    REQUIRE(WaitUntil([&] { return s.server.open_connections() == 2; }, kBound));
    auto r = RawHttpExchange(s.port(), Request("GET", "/healthz"), kBound);
    CHECK(r.status == 200);
  }

  TEST_CASE("beyond max_connections_per_address one address's next connection is closed") {
    EventLoopServerOptions options;
    options.max_connections_per_address = 2;  // every connection here is from 127.0.0.1
    TestServer s(options);
    std::vector<std::unique_ptr<RawHttpConnection>> open;
    for (int i = 0; i < 2; ++i) {
      open.push_back(std::make_unique<RawHttpConnection>(s.port()));
      REQUIRE(open.back()->Send(Request("GET", "/healthz")));
      REQUIRE(open.back()->Read(kBound).status == 200);
    }
    RawHttpConnection hog(s.port());
    hog.Send(Request("GET", "/healthz"));
    CHECK(hog.WaitClosed(kBound));
    CHECK(s.server.rejected_by_address() == 1);
    CHECK(s.server.rejected_connections() == 1);
    // The address's count goes down as its connections close.
    open.pop_back();
    REQUIRE(WaitUntil([&] { return s.server.open_connections() == 1; }, kBound));
    CHECK(RawHttpExchange(s.port(), Request("GET", "/healthz"), kBound).status == 200);
  }

  TEST_CASE("an async handler answers from another thread") {
    TestServer s;
    auto r = RawHttpExchange(s.port(), Request("GET", "/later"), kBound);
    CHECK(r.status == 200);
    CHECK(r.body == "from test-answerer");
    CHECK(s.observed.Count("GET /later", 200) == 1);
  }

  TEST_CASE("a blocking route runs on the blocking pool and does not hold up the loop") {
    EventLoopServerOptions options;
    options.io_threads = 1;
    TestServer s(options);
    RawHttpConnection blocking(s.port());
    REQUIRE(blocking.Send(Request("GET", "/blocking")));
    REQUIRE(WaitUntil([&] { return s.blocked.load() == 1; }, kBound));
    // The one loop thread still serves while the blocking handler waits.
    auto quick = RawHttpExchange(s.port(), Request("GET", "/healthz"), kBound);
    CHECK(quick.status == 200);
    CHECK(!blocking.Read(milliseconds(100)).complete);
    s.release = true;
    auto r = blocking.Read(kBound);
    REQUIRE(r.complete);
    CHECK(r.status == 200);
    CHECK(r.body.find("wl-http-io") == std::string::npos);
  }

  TEST_CASE(
      "a blocking route past its queue is 503 at once; a route on its own thread still runs") {
    EventLoopServerOptions options;
    options.blocking_threads = 2;
    options.max_queued_per_blocking_route = 2;
    TestServer s(options);
    // Two running, both waiting for release: the route holds its bound.
    RawHttpConnection running(s.port());
    RawHttpConnection queued(s.port());
    REQUIRE(running.Send(Request("GET", "/blocking")));
    REQUIRE(queued.Send(Request("GET", "/blocking")));
    REQUIRE(WaitUntil([&] { return s.blocked.load() == 2; }, kBound));
    // The third is refused at once, without waiting for the pool.
    const auto refused = RawHttpExchange(s.port(), Request("GET", "/blocking"), kBound);
    CHECK(refused.status == 503);
    CHECK(refused.Header("Retry-After") == "1");
    CHECK(refused.Header("Content-Type") == "application/problem+json");
    // A route on its own thread is not queued behind the full pool.
    const auto own = RawHttpExchange(s.port(), Request("GET", "/own"), kBound);
    CHECK(own.status == 200);
    s.release = true;
    CHECK(running.Read(kBound).status == 200);
    CHECK(queued.Read(kBound).status == 200);
    CHECK(s.observed.Count("GET /blocking", 503) == 1);
    // Room again once they are answered.
    CHECK(RawHttpExchange(s.port(), Request("GET", "/blocking"), kBound).status == 200);
  }

  TEST_CASE("a handler that throws, or drops its Responder, is a 500 problem, counted") {
    TestServer s;
    RawHttpConnection c(s.port());
    REQUIRE(c.Send(Request("GET", "/throws") + Request("GET", "/dropped")));
    for (const char* route : {"GET /throws", "GET /dropped"}) {
      auto r = c.Read(kBound);
      REQUIRE(r.complete);
      CHECK_MESSAGE(r.status == 500, route);
      CHECK(r.Header("Content-Type") == "application/problem+json");
      CHECK(s.observed.Count(route, 500) == 1);
    }
    REQUIRE(c.Send(Request("GET", "/healthz")));
    CHECK(c.Read(kBound).status == 200);
  }

  TEST_CASE(
      "1,000 idle connections are held open on a fixed set of threads while others are served") {
    TestServer s;
    constexpr int kIdle = 1000;
    const int threads_before = ThreadsOfThisProcess();
    std::vector<std::unique_ptr<RawHttpConnection>> idle;
    for (int i = 0; i < kIdle; ++i) idle.push_back(std::make_unique<RawHttpConnection>(s.port()));
    REQUIRE(WaitUntil([&] { return s.server.open_connections() == kIdle; }, kBound));
    RawHttpConnection busy(s.port());
    for (int i = 0; i < 200; ++i) {
      REQUIRE(busy.Send(Request("GET", "/healthz")));
      auto r = busy.Read(kBound);
      REQUIRE(r.complete);
      CHECK(r.elapsed < milliseconds(500));
    }
    CHECK(ThreadsOfThisProcess() == threads_before);
    // Every idle connection is still open and serves.
    for (auto& c : idle) REQUIRE(c->Send(Request("GET", "/healthz")));
    int served = 0;
    for (auto& c : idle) served += c->Read(kBound).status == 200 ? 1 : 0;
    CHECK(served == kIdle);
    CHECK(s.server.rejected_connections() == 0);
    CHECK(ThreadsOfThisProcess() == threads_before);
  }

  TEST_CASE("Stop refuses new connections, closes idle ones and drains a request in flight") {
    auto s = std::make_unique<TestServer>();
    const int port = s->port();
    RawHttpConnection idle(port);
    REQUIRE(idle.Send(Request("GET", "/healthz")));
    REQUIRE(idle.Read(kBound).status == 200);
    RawHttpConnection in_flight(port);
    REQUIRE(in_flight.Send(Request("GET", "/held")));
    REQUIRE(WaitUntil([&] { return s->held.count() == 1; }, kBound));
    std::atomic<bool> stopped{false};
    std::thread stopper([&] {
      s->server.Stop();
      stopped = true;
    });
    CHECK(idle.WaitClosed(kBound));
    CHECK(WaitUntil([&] { return ConnectRefused(port); }, kBound));
    CHECK(!stopped.load());  // still draining: the held request has no answer yet
    s->held.AnswerOldest(Text(200, "finished"));
    auto r = in_flight.Read(kBound);
    REQUIRE(r.complete);
    CHECK(r.status == 200);
    CHECK(r.body == "finished");
    CHECK(r.Header("Connection") == "close");
    CHECK(in_flight.WaitClosed(kBound));
    CHECK(WaitUntil([&] { return stopped.load(); }, kBound));
    stopper.join();
    s.reset();
  }

  TEST_CASE("Stop gives up on a request still unanswered after the drain timeout") {
    EventLoopServerOptions options;
    options.drain_timeout_ms = 300;
    TestServer s(options);
    RawHttpConnection in_flight(s.port());
    REQUIRE(in_flight.Send(Request("GET", "/held")));
    REQUIRE(WaitUntil([&] { return s.held.count() == 1; }, kBound));
    const auto start = std::chrono::steady_clock::now();
    s.server.Stop();
    CHECK(std::chrono::steady_clock::now() - start < seconds(2));
    CHECK(in_flight.WaitClosed(kBound));
    s.held.AnswerOldest(Text(200, "too late"));  // harmless after Stop
  }

  TEST_CASE("a port in use is a Status error from Start") {
    TestServer s;
    EventLoopServerOptions options;
    options.port = s.port();
    EventLoopServer second(options);
    Status started = second.Start();
    CHECK(!started.ok());
    CHECK(started.message().find("in use") != std::string::npos);
  }

  TEST_CASE("TRACE, OPTIONS, CONNECT and unknown methods on a known path are 405 with Allow") {
    TestServer s;
    struct Case {
      std::string method, target;
      int status;
      std::string allow;
    };
    const Case cases[] = {
        {"TRACE", "/healthz", 405, "GET, HEAD"},   {"OPTIONS", "/healthz", 405, "GET, HEAD"},
        {"CONNECT", "/healthz", 405, "GET, HEAD"}, {"FOO", "/healthz", 405, "GET, HEAD"},
        {"TRACE", "/echo", 405, "POST"},           {"DELETE", "/items/b-1", 405, "GET, HEAD"},
        {"POST", "/healthz", 405, "GET, HEAD"},    {"TRACE", "/nowhere", 404, ""},
        {"GET", "/nowhere?x=1", 404, ""},          {"GET", "/items/a/b", 404, ""},
    };
    for (const Case& c : cases) {
      auto r =
          RawHttpExchange(s.port(), Request(c.method, c.target, {"Connection: close"}), kBound);
      CHECK_MESSAGE(r.status == c.status, c.method, " ", c.target);
      CHECK_MESSAGE(r.Header("Allow") == c.allow, c.method, " ", c.target);
      CHECK(r.Header("Content-Type") == "application/problem+json");
    }
    CHECK(s.observed.Count(kUnroutedLabel, 405) == 7);
    CHECK(s.observed.Count(kUnroutedLabel, 404) == 3);
  }

  TEST_CASE("HEAD is answered as GET is, without the body") {
    TestServer s;
    for (const std::string path : {"/healthz", "/items/x-1", "/nowhere"}) {
      auto get = RawHttpExchange(s.port(), Request("GET", path, {"Connection: close"}), kBound);
      auto head = RawHttpExchange(s.port(), Request("HEAD", path, {"Connection: close"}), kBound,
                                  /*head=*/true);
      REQUIRE_MESSAGE(head.complete, path);
      CHECK_MESSAGE(head.status == get.status, path);
      CHECK_MESSAGE(head.Header("Content-Type") == get.Header("Content-Type"), path);
      CHECK_MESSAGE(head.Header("Content-Length") == get.Header("Content-Length"), path);
      CHECK_MESSAGE(head.body.empty(), path);
    }
    // On a kept-alive connection too: the next answer starts right after the head.
    RawHttpConnection c(s.port());
    REQUIRE(c.Send(Request("HEAD", "/healthz") + Request("GET", "/items/next")));
    CHECK(c.Read(kBound, /*head=*/true).status == 200);
    CHECK(c.Read(kBound).body == "next");
  }

  TEST_CASE("a Content-Length that cannot be served is answered at once, before any body") {
    TestServer s;  // its body deadline is 10 s: an answer within 2 s did not wait for one
    constexpr auto kAtOnce = seconds(2);
    struct Case {
      std::vector<std::string> headers;
      int status;
    };
    const Case cases[] = {
        {{"Content-Length: -1"}, 400},
        {{"Content-Length: abc"}, 400},
        {{"Content-Length: 12abc"}, 400},
        {{"Content-Length: 5", "Content-Length: 6"}, 400},
        {{"Content-Length: 5, 5"}, 400},
        {{"Content-Length: 99999999999999999999"}, 413},
        {{"Content-Length: 17000"}, 413},
        {{"Transfer-Encoding: chunked"}, 411},
        {{"Transfer-Encoding: chunked", "Content-Length: 5"}, 411},
        {{"Content-Length: 5", "Transfer-Encoding: chunked"}, 411},
        {{"Content-Length: 20", "Content-Encoding: gzip"}, 415},
    };
    for (const Case& c : cases) {
      RawHttpConnection conn(s.port());
      REQUIRE(conn.Send(Request("POST", "/echo", c.headers)));
      auto r = conn.Read(kAtOnce);
      const std::string label = c.headers[0];
      REQUIRE_MESSAGE(r.complete, label, ": no answer within 2 s");
      CHECK_MESSAGE(r.status == c.status, label);
      CHECK_MESSAGE(r.Header("Content-Type") == "application/problem+json", label);
      // The announced body was not read: the connection ends with the answer.
      CHECK_MESSAGE(r.Header("Connection") == "close", label);
      CHECK_MESSAGE(conn.WaitClosed(kAtOnce), label);
    }
    // No length at all: an empty body, and the connection stays.
    RawHttpConnection conn(s.port());
    REQUIRE(conn.Send(Request("POST", "/echo")));
    auto empty = conn.Read(kAtOnce);
    CHECK(empty.status == 200);
    CHECK(empty.body.empty());
    REQUIRE(conn.Send(Request("POST", "/echo", {}, "again")));
    CHECK(conn.Read(kAtOnce).body == "again");
    CHECK(s.observed.Count("POST /echo", 413) == 2);
  }

  TEST_CASE("a body is read whole, however it arrives, and up to the limit exactly") {
    EventLoopServerOptions options;
    options.max_body_bytes = 64 * 1024;
    TestServer s(options);
    RawHttpConnection c(s.port());
    std::string body(options.max_body_bytes, 'b');
    body.front() = '<';
    body.back() = '>';
    const std::string request = Request("POST", "/echo", {}, body);
    const size_t cut = request.find("\r\n\r\n") + 10;
    REQUIRE(c.Send(request.substr(0, cut)));
    CHECK(!c.Read(milliseconds(100)).complete);
    REQUIRE(c.Send(request.substr(cut)));
    auto r = c.Read(kBound);
    REQUIRE(r.complete);
    CHECK(r.status == 200);
    CHECK(r.body == body);
    // A body of the limit plus one is refused.
    RawHttpConnection over(s.port());
    REQUIRE(over.Send(Request("POST", "/echo", {}, body + "x")));
    CHECK(over.Read(kBound).status == 413);
  }

  TEST_CASE("Expect: 100-continue is answered before the body is sent") {
    TestServer s;
    RawHttpConnection c(s.port());
    REQUIRE(
        c.Send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\n"
               "Content-Length: 4\r\n\r\n"));
    auto interim = c.Read(kBound);
    REQUIRE(interim.complete);
    CHECK(interim.status == 100);
    REQUIRE(c.Send("body"));
    auto r = c.Read(kBound);
    CHECK(r.status == 200);
    CHECK(r.body == "body");
  }

  TEST_CASE("a head over max_header_bytes is 431, and the connection closes") {
    TestServer s;
    RawHttpConnection c(s.port());
    REQUIRE(c.Send(Request("GET", "/healthz", {"X-Big: " + std::string(9000, 'h')})));
    auto r = c.Read(kBound);
    REQUIRE(r.complete);
    CHECK(r.status == 431);
    CHECK(r.Header("Content-Type") == "application/problem+json");
    CHECK(c.WaitClosed(kBound));
  }

  TEST_CASE("a malformed request line or header is 400, and the connection closes") {
    TestServer s;
    const std::string requests[] = {
        "GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n",
        "GET /healthz\r\n\r\n",
        "GET /healthz HTTP/x\r\n\r\n",
        " /healthz HTTP/1.1\r\n\r\n",
    };
    for (const std::string& request : requests) {
      RawHttpConnection c(s.port());
      REQUIRE(c.Send(request));
      auto r = c.Read(kBound);
      CHECK_MESSAGE(r.status == 400, request);
      CHECK(r.Header("Content-Type") == "application/problem+json");
      CHECK(c.WaitClosed(kBound));
    }
  }

  TEST_CASE("Connection: close is honoured; HTTP/1.0 closes unless it asks for keep-alive") {
    TestServer s;
    {
      RawHttpConnection c(s.port());
      REQUIRE(c.Send(Request("GET", "/healthz", {"Connection: close"}) +
                     Request("GET", "/healthz")));  // never read
      auto r = c.Read(kBound);
      CHECK(r.status == 200);
      CHECK(r.Header("Connection") == "close");
      CHECK(c.WaitClosed(kBound));
      CHECK(s.observed.Count("GET /healthz", 200) == 1);
    }
    {
      RawHttpConnection c(s.port());
      REQUIRE(c.Send("GET /healthz HTTP/1.0\r\n\r\n"));
      CHECK(c.Read(kBound).status == 200);
      CHECK(c.WaitClosed(kBound));
    }
    {
      RawHttpConnection c(s.port());
      for (int i = 0; i < 2; ++i) {
        REQUIRE(c.Send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        auto r = c.Read(kBound);
        CHECK(r.status == 200);
        CHECK(r.Header("Connection") == "keep-alive");
      }
    }
  }

  TEST_CASE("header values that are not UTF-8 reach the handler; a path is echoed safely") {
    TestServer s;
    auto r = RawHttpExchange(s.port(), Request("GET", "/api/v1/%FF%FE"), kBound);
    CHECK(r.status == 404);
    CHECK(r.Header("Content-Type") == "application/problem+json");
    auto odd =
        RawHttpExchange(s.port(), Request("POST", "/echo", {"X-Odd: text/\xff"}, "x"), kBound);
    CHECK(odd.status == 200);
    CHECK(odd.body == "x");
  }
}

}  // namespace
}  // namespace wanderluxe
