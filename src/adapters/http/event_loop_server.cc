// EventLoopServer on Boost.Asio, one io_context per loop thread: every
// connection lives on one loop, so its state is touched by that loop's thread
// only and needs no lock; answers from other threads are posted to it. Beast's
// basic_parser reads request heads; bodies are read straight into the
// request, and answers are written by hand, pipelined answers in one write.
//
// One of the two files that include Boost.Asio or Beast (about a minute to
// compile); the other is http_connection.cc.
#include "adapters/http/event_loop_server.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <strings.h>
#include <sys/resource.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/status.hpp>
#include <chrono>
#include <deque>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "adapters/http/request_framing.h"
#include "adapters/http/route_table.h"
#include "wanderluxe/check.h"
#include "wanderluxe/mutex.h"

namespace wanderluxe {
namespace {

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
// Sockets bound to their loop's io_context itself, not a type-erased executor.
using Socket = tcp::socket::rebind_executor<net::io_context::executor_type>::other;
using Responder = EventLoopServer::Responder;

// A connection's read buffer starts at this size and grows, for a long head,
// up to max_header_bytes plus this.
constexpr size_t kReadBufferBytes = 4096;
// How often each loop looks for connections past a deadline: deadlines are
// kept to within this.
constexpr auto kDeadlineTick = std::chrono::milliseconds(100);
// After an accept failed (out of file descriptors, say), the pause before the
// next, so that a full table does not spin the loop.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);
// A connection we close after answering first stops sending, then reads what
// the client still sends (an unread body, pipelined requests) until it closes,
// for at most this long: closing with unread bytes would reset the connection
// and could destroy the answer before the client read it.
constexpr auto kLingerTimeout = std::chrono::milliseconds(1000);
// An answer body up to this size is copied next to its head, so that a batch
// of small answers leaves in one buffer.
constexpr size_t kCopyBodyBelowBytes = 2048;
// No route: the answer is the server's own (404, 405, framing errors).
constexpr size_t kNoRoute = static_cast<size_t>(-1);

std::chrono::milliseconds Ms(int ms) { return std::chrono::milliseconds(ms); }

HttpResponse Malformed() {
  return ProblemResponse(400, "Bad Request", "the request line or a header is malformed");
}

HttpResponse HandlerFailed() {
  return ProblemResponse(500, "Internal Server Error", "unexpected error");
}

HttpResponse RouteBusy(const std::string& label) {
  HttpResponse r =
      ProblemResponse(503, "Service Unavailable", label + ": too many requests waiting; retry");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

bool IsToken(std::string_view list, std::string_view token) {
  while (!list.empty()) {
    const size_t comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
    while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
    if (item.size() == token.size() && strncasecmp(item.data(), token.data(), token.size()) == 0) {
      return true;
    }
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
  return false;
}

// Beast's parser for a request head only: the request line and header fields
// go straight into an HttpRequest; the body, if any, is left in the buffer.
class HeadParser final : public http::basic_parser<true> {
 public:
  explicit HeadParser(size_t max_header_bytes) {
    header_limit(static_cast<std::uint32_t>(std::min<size_t>(max_header_bytes, UINT32_MAX)));
    body_limit(boost::none);  // the body is framed by request_framing.h, not here
    eager(false);             // stop after the head
  }

  HttpRequest& request() { return request_; }
  std::string& target() { return target_; }
  int version() const { return version_; }

 private:
  void on_request_impl(http::verb, boost::beast::string_view method,
                       boost::beast::string_view target, int version, error_code&) override {
    request_.method.assign(method.data(), method.size());
    target_.assign(target.data(), target.size());
    version_ = version;
  }
  void on_response_impl(int, boost::beast::string_view, int, error_code&) override {}
  void on_field_impl(http::field, boost::beast::string_view name, boost::beast::string_view value,
                     error_code&) override {
    request_.headers.emplace_back(std::string(name.data(), name.size()),
                                  std::string(value.data(), value.size()));
  }
  void on_header_impl(error_code&) override {}
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  size_t on_body_impl(boost::beast::string_view body, error_code&) override { return body.size(); }
  void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) override {}
  size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code&) override {
    return body.size();
  }
  void on_finish_impl(error_code&) override {}

  HttpRequest request_;
  std::string target_;
  int version_ = 11;
};

class Connection;

struct RouteHandler {
  EventLoopServer::AsyncHandler async;  // or
  HttpHandler blocking;
  bool own_pool = false;  // EventLoopServer::BlockingPool::kOwn
  size_t pool = 0;        // index into ServerState::blocking_pools, set by Start
  // Requests queued or running (max_queued_per_blocking_route).
  std::shared_ptr<std::atomic<int64_t>> queued = std::make_shared<std::atomic<int64_t>>(0);
};

// What every connection reads: set before Start, then only read, except for
// the atomics.
struct ServerState {
  EventLoopServerOptions options;
  RouteTable routes;
  std::vector<RouteHandler> handlers;  // by route index
  ResponseObserver observer;
  const std::string unrouted_label = kUnroutedLabel;
  // [0]: the shared pool of blocking_threads (when a route uses it); then one
  // single-thread pool per kOwn route.
  std::vector<std::unique_ptr<net::thread_pool>> blocking_pools;

  std::atomic<bool> stopping{false};
  std::atomic<int64_t> open{0};
  std::atomic<int64_t> rejected{0};
  std::atomic<int64_t> rejected_by_address{0};
  std::atomic<int64_t> cut{0};
  // Open connections per peer address, when max_connections_per_address bounds them.
  Mutex by_address_mu;
  std::unordered_map<std::string, int> open_by_address GUARDED_BY(by_address_mu);
  // Stop waits here for the last connection to close. The counter is atomic;
  // the mutex only orders the wakeup after the wait's check.
  Mutex drain_mu;
  CondVar drained{&drain_mu};

  void Observe(size_t route, int status) const {
    if (observer) observer(route == kNoRoute ? unrouted_label : routes.label(route), status);
  }

  // Counts a connection from `address` as open; false (counting nothing)
  // when that address has its bound open already.
  bool OpenFrom(const std::string& address) EXCLUDES(by_address_mu) {
    if (options.max_connections_per_address <= 0) return true;
    MutexLock lock(&by_address_mu);
    int& n = open_by_address[address];
    if (n >= options.max_connections_per_address) return false;
    ++n;
    return true;
  }

  void ConnectionClosed(const std::string& address) EXCLUDES(by_address_mu) {
    if (options.max_connections_per_address > 0) {
      MutexLock lock(&by_address_mu);
      auto it = open_by_address.find(address);
      if (it != open_by_address.end() && --it->second <= 0) open_by_address.erase(it);
    }
    if (open.fetch_sub(1) == 1 && stopping.load()) {
      MutexLock lock(&drain_mu);
      drained.SignalAll();
    }
  }
};

// One loop thread and what lives on it. Held by the server and by every
// Responder, so that a late answer posts into a context that still exists
// (and, once the server stopped, is never run).
struct Loop : std::enable_shared_from_this<Loop> {
  void Register(std::shared_ptr<Connection> connection);
  void Unregister(Connection* connection);
  void Sweep();
  void ArmSweep();
  void CloseAll();

  net::io_context io{1};
  net::steady_timer sweep_timer{io};
  // The loop's open connections, which they own: each is closed by Close or
  // by a deadline, never just dropped. Loop thread only.
  std::vector<std::shared_ptr<Connection>> connections;
  std::thread thread;
};

// One answer slot per request, in request order.
struct Slot {
  bool answered = false;
  bool head = false;               // answers HEAD: the body is not sent
  bool close_after = false;        // the connection ends after this answer
  bool http10_keep_alive = false;  // an HTTP/1.0 client asked to keep the connection
  size_t route = kNoRoute;
  HttpResponse response;
};

// The buffers of one write: up to a head and a body per answer.
struct WriteBuffers {
  using value_type = net::const_buffer;
  using const_iterator = const net::const_buffer*;
  std::array<net::const_buffer, 2 * EventLoopServer::kMaxPipelinedRequests> items;
  size_t count = 0;

  const_iterator begin() const { return items.data(); }
  const_iterator end() const { return items.data() + count; }
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(ServerState& server, Loop& loop, Socket socket, std::string remote_address)
      : server_(server),
        loop_(loop),
        socket_(std::move(socket)),
        remote_address_(std::move(remote_address)) {}

  // On the loop thread, once.
  void Start();
  // Delivers the answer to request `seq`, on the loop thread.
  void Complete(uint64_t seq, size_t route, HttpResponse response);
  // Stop: closes the connection now if nothing is in flight, else after the
  // answers in flight are written.
  void Drain();
  // Closes the connection if one of its deadlines has passed.
  bool Due(Clock::time_point now) const;
  void Expire(Clock::time_point now);
  void Close();

  size_t registry_index = 0;  // its place in Loop::connections

 private:
  enum class Phase { kNone, kIdle, kHead, kBody, kWrite, kLinger };
  struct PendingBody {
    uint64_t seq;
    size_t route;
    HttpRequest request;
  };

  void Advance();
  void ParseBuffered();
  void OnHead();
  void RefuseHead(error_code ec);
  void AnswerNow(HttpResponse response, size_t route, bool head, bool close);
  uint64_t NewSlot(bool head, bool close_after, bool http10_keep_alive);
  void StartBody(uint64_t seq, size_t route, HttpRequest request, size_t length, bool expects);
  void OnBody(error_code ec);
  void Dispatch(uint64_t seq, size_t route, HttpRequest request);
  void WantRead();
  void OnRead(error_code ec, size_t n);
  bool MakeRoom();
  void StartWrite();
  void OnWritten(error_code ec);
  void Linger();
  std::pair<Phase, Clock::time_point> Deadline() const;
  size_t LabelRoute(const std::string& method, const std::string& target) const;

  ServerState& server_;
  Loop& loop_;
  Socket socket_;
  const std::string remote_address_;  // the peer's, as accepted

  // Bytes read and not yet consumed: buffer_[begin_, end_).
  std::vector<char> buffer_;
  size_t begin_ = 0, end_ = 0;
  std::optional<HeadParser> parser_;  // a request head has begun
  Clock::time_point head_started_;
  std::optional<PendingBody> pending_;  // its body is being read
  bool reading_body_ = false;
  Clock::time_point body_started_;

  std::deque<Slot> slots_;
  uint64_t first_seq_ = 0;  // the request number of slots_.front()

  std::string heads_;  // the heads (and small bodies) of the write in progress
  size_t write_count_ = 0;
  bool write_closes_ = false;
  Clock::time_point write_started_;
  Clock::time_point idle_since_;
  Clock::time_point linger_until_;

  bool reading_ = false;  // a read into buffer_ is pending
  bool parsing_ = false;  // in ParseBuffered
  bool writing_ = false;
  bool will_close_ = false;  // no request after those in slots_ is read
  bool lingering_ = false;
  bool closed_ = false;
};

// The shared state behind every copy of one Responder. The first answer wins;
// a Responder dropped unanswered answers 500.
class ResponderState {
 public:
  ResponderState(std::shared_ptr<Loop> loop, std::shared_ptr<Connection> connection, uint64_t seq,
                 size_t route, const std::string* label)
      : loop_(std::move(loop)),
        connection_(std::move(connection)),
        seq_(seq),
        route_(route),
        label_(label) {}

  ~ResponderState() {
    if (!answered_.exchange(true)) {
      spdlog::error("http: {}: the handler dropped a request unanswered", *label_);
      Deliver(HandlerFailed());
    }
  }

  // False when the request was answered already.
  bool TryAnswer(HttpResponse response) {
    if (answered_.exchange(true)) return false;
    Deliver(std::move(response));
    return true;
  }

  void Answer(HttpResponse response) {
    if (!TryAnswer(std::move(response))) {
      spdlog::error("http: {}: a request was answered twice; the second answer is dropped",
                    *label_);
    }
  }

 private:
  void Deliver(HttpResponse response) {
    if (loop_->io.get_executor().running_in_this_thread()) {
      connection_->Complete(seq_, route_, std::move(response));
      return;
    }
    net::post(loop_->io, [connection = connection_, seq = seq_, route = route_,
                          response = std::move(response)]() mutable {
      connection->Complete(seq, route, std::move(response));
    });
  }

  // The loop outlives the connection: declared first, destroyed last.
  const std::shared_ptr<Loop> loop_;
  const std::shared_ptr<Connection> connection_;
  const uint64_t seq_;
  const size_t route_;
  const std::string* const label_;
  std::atomic<bool> answered_{false};
};

// --- Loop ---

void Loop::Register(std::shared_ptr<Connection> connection) {
  connection->registry_index = connections.size();
  connections.push_back(std::move(connection));
}

void Loop::Unregister(Connection* connection) {
  const size_t i = connection->registry_index;
  if (i >= connections.size() || connections[i].get() != connection) return;
  std::swap(connections[i], connections.back());
  connections[i]->registry_index = i;
  connections.pop_back();
}

void Loop::Sweep() {
  const Clock::time_point now = Clock::now();
  std::vector<std::shared_ptr<Connection>> due;
  for (const auto& connection : connections) {
    if (connection->Due(now)) due.push_back(connection);
  }
  for (const auto& connection : due) connection->Expire(now);
}

void Loop::ArmSweep() {
  sweep_timer.expires_after(kDeadlineTick);
  sweep_timer.async_wait([this](error_code ec) {
    if (ec) return;
    Sweep();
    ArmSweep();
  });
}

void Loop::CloseAll() {
  const std::vector<std::shared_ptr<Connection>> open = connections;
  for (const auto& connection : open) connection->Close();
}

// --- Connection: reading ---

void Connection::Start() {
  if (server_.stopping.load()) {
    closed_ = true;
    error_code ec;
    socket_.close(ec);
    server_.ConnectionClosed(remote_address_);
    return;
  }
  loop_.Register(shared_from_this());
  error_code ec;
  socket_.set_option(tcp::no_delay(true), ec);
  idle_since_ = Clock::now();
  Advance();
}

// Does whatever the connection's state allows now: handles the requests
// buffered, writes what is answered, reads more or closes.
void Connection::Advance() {
  if (closed_) return;
  ParseBuffered();
  StartWrite();
  if (closed_ || lingering_) return;
  if (will_close_ && slots_.empty() && !writing_) {
    Linger();
    return;
  }
  WantRead();
}

void Connection::ParseBuffered() {
  if (reading_) return;  // nothing complete is buffered (WantRead)
  parsing_ = true;
  while (!closed_ && !will_close_ && !lingering_ && !reading_body_ &&
         slots_.size() < EventLoopServer::kMaxPipelinedRequests && begin_ < end_) {
    if (!parser_) {
      parser_.emplace(server_.options.max_header_bytes);
      head_started_ = Clock::now();
    }
    error_code ec;
    const size_t used = parser_->put(net::buffer(buffer_.data() + begin_, end_ - begin_), ec);
    if (ec == http::error::need_more) {
      begin_ += used;
      break;
    }
    if (ec) {
      RefuseHead(ec);
      break;
    }
    WL_CHECK(parser_->is_header_done(), "a parser that stops without error has read a head");
    begin_ += used;
    OnHead();
  }
  parsing_ = false;
  if (begin_ == end_) begin_ = end_ = 0;
}

size_t Connection::LabelRoute(const std::string& method, const std::string& target) const {
  const RouteMatch match = server_.routes.Find(method, target);
  return match.kind == RouteMatch::Kind::kFound ? match.route : kNoRoute;
}

// A head Beast refused. Its framing errors are answered as request_framing.h
// says, from the head's raw fields (Beast stops at the first bad one).
void Connection::RefuseHead(error_code ec) {
  HttpResponse answer = Malformed();
  size_t route = kNoRoute;
  if (ec == http::error::header_limit) {
    answer = ProblemResponse(
        431, "Request Header Fields Too Large",
        "the request head exceeds " + std::to_string(server_.options.max_header_bytes) + " bytes");
  } else if (ec == http::error::bad_content_length || ec == http::error::multiple_content_length ||
             ec == http::error::bad_transfer_encoding || ec == http::error::body_limit) {
    const std::string_view buffered(buffer_.data() + begin_, end_ - begin_);
    const HeaderFields fields = RawHeaderFields(buffered.substr(0, buffered.find("\r\n\r\n")));
    if (auto refusal = FramingRefusal(fields, server_.options.max_body_bytes)) {
      answer = std::move(*refusal);
    }
    route = LabelRoute(parser_->request().method, parser_->target());
  }
  parser_.reset();
  AnswerNow(std::move(answer), route, /*head=*/false, /*close=*/true);
}

void Connection::OnHead() {
  HttpRequest request = std::move(parser_->request());
  request.remote_address = remote_address_;
  const std::string target = std::move(parser_->target());
  const int version = parser_->version();
  const bool keep_alive = parser_->keep_alive();
  parser_.reset();
  const bool head = request.method == "HEAD";
  RouteMatch match = server_.routes.Find(request.method, target);
  const size_t route = match.kind == RouteMatch::Kind::kFound ? match.route : kNoRoute;
  const BodyFraming framing = FramingOf(request.headers);
  // Bytes of a body left unread would be taken for the next request.
  const bool close = !keep_alive || framing.announces_body();
  if (version != 10 && version != 11) {
    AnswerNow(ProblemResponse(505, "HTTP Version Not Supported", "send HTTP/1.1"), route, head,
              true);
    return;
  }
  if (auto refusal = FramingRefusal(request.headers, server_.options.max_body_bytes)) {
    AnswerNow(std::move(*refusal), route, head, close);
    return;
  }
  request.path = target.substr(0, target.find_first_of("?#"));
  if (match.kind == RouteMatch::Kind::kNoSuchPath) {
    AnswerNow(ProblemResponse(404, "Not Found", "no route for " + request.path), route, head,
              close);
    return;
  }
  if (match.kind == RouteMatch::Kind::kMethodNotAllowed) {
    HttpResponse answer = ProblemResponse(405, "Method Not Allowed",
                                          request.method + " is not allowed on " + request.path);
    answer.headers.emplace_back("Allow", std::move(match.allow));
    AnswerNow(std::move(answer), route, head, close);
    return;
  }
  request.path_params = std::move(match.params);
  const uint64_t seq = NewSlot(head, !keep_alive, version == 10 && keep_alive);
  if (!keep_alive) will_close_ = true;
  if (framing.kind == BodyFraming::Kind::kLength && framing.length > 0) {
    const bool expects = version == 11 && IsToken(request.Header("Expect"), "100-continue");
    StartBody(seq, route, std::move(request), static_cast<size_t>(framing.length), expects);
    return;
  }
  Dispatch(seq, route, std::move(request));
}

uint64_t Connection::NewSlot(bool head, bool close_after, bool http10_keep_alive) {
  Slot& slot = slots_.emplace_back();
  slot.head = head;
  slot.close_after = close_after;
  slot.http10_keep_alive = http10_keep_alive;
  return first_seq_ + slots_.size() - 1;
}

// The server's own answer, in order after the requests before it.
void Connection::AnswerNow(HttpResponse response, size_t route, bool head, bool close) {
  const uint64_t seq = NewSlot(head, close, false);
  if (close) will_close_ = true;
  Complete(seq, route, std::move(response));
}

void Connection::StartBody(uint64_t seq, size_t route, HttpRequest request, size_t length,
                           bool expects) {
  WL_CHECK(!reading_, "a body is read only when no other read is pending");
  std::string& body = request.body;
  const size_t have = std::min(length, end_ - begin_);
  body.assign(buffer_.data() + begin_, have);
  begin_ += have;
  if (have == length) {
    Dispatch(seq, route, std::move(request));
    return;
  }
  body.resize(length);
  pending_.emplace(PendingBody{seq, route, std::move(request)});
  reading_body_ = true;
  body_started_ = Clock::now();
  // "100 Continue" only with no answer ahead of it on the wire.
  if (expects && slots_.size() == 1 && !writing_) {
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    writing_ = true;
    write_count_ = 0;
    write_closes_ = false;
    write_started_ = Clock::now();
    net::async_write(socket_, net::buffer(kContinue.data(), kContinue.size()),
                     [self = shared_from_this()](error_code ec, size_t) { self->OnWritten(ec); });
  }
  std::string& target = pending_->request.body;
  net::async_read(socket_, net::buffer(target.data() + have, length - have),
                  [self = shared_from_this()](error_code ec, size_t) { self->OnBody(ec); });
}

void Connection::OnBody(error_code ec) {
  reading_body_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  PendingBody pending = std::move(*pending_);
  pending_.reset();
  Dispatch(pending.seq, pending.route, std::move(pending.request));
  Advance();
}

// Reads into the buffer's free end, or, lingering, anywhere. One read at a
// time, and while it is pending the buffer is neither parsed nor moved: what
// is buffered then is at most a head not yet complete.
void Connection::WantRead() {
  if (closed_ || reading_ || reading_body_) return;
  size_t offset = 0;
  if (lingering_) {
    if (buffer_.empty()) buffer_.resize(kReadBufferBytes);
  } else {
    if (will_close_ || slots_.size() >= EventLoopServer::kMaxPipelinedRequests) return;
    if (!MakeRoom()) return;
    offset = end_;
  }
  reading_ = true;
  socket_.async_read_some(
      net::buffer(buffer_.data() + offset, buffer_.size() - offset),
      [self = shared_from_this()](error_code ec, size_t n) { self->OnRead(ec, n); });
}

// Space at the end of the buffer: moves what is unread to the front, or grows
// the buffer while a head may still fit.
bool Connection::MakeRoom() {
  if (buffer_.empty()) buffer_.resize(kReadBufferBytes);
  if (end_ < buffer_.size()) return true;
  if (begin_ > 0) {
    std::copy(buffer_.begin() + begin_, buffer_.begin() + end_, buffer_.begin());
    end_ -= begin_;
    begin_ = 0;
    return true;
  }
  const size_t most = server_.options.max_header_bytes + kReadBufferBytes;
  if (buffer_.size() >= most) return false;
  buffer_.resize(std::min(most, buffer_.size() * 2));
  return true;
}

void Connection::OnRead(error_code ec, size_t n) {
  reading_ = false;
  if (closed_) return;
  if (lingering_) {
    // What the client still sends is dropped; its close ends the connection.
    if (ec) {
      Close();
    } else {
      WantRead();
    }
    return;
  }
  if (ec == net::error::eof) {
    // The client sent all it will: answer what it asked, then close. A head
    // cut short is dropped.
    will_close_ = true;
    parser_.reset();
    begin_ = end_ = 0;
    Advance();
    return;
  }
  if (ec) {
    Close();
    return;
  }
  end_ += n;
  Advance();
}

// --- Connection: handling ---

void Connection::Dispatch(uint64_t seq, size_t route, HttpRequest request) {
  const RouteHandler& handler = server_.handlers[route];
  const std::string& label = server_.routes.label(route);
  auto state = std::make_shared<ResponderState>(loop_.shared_from_this(), shared_from_this(), seq,
                                                route, &label);
  if (handler.blocking) {
    if (handler.queued->fetch_add(1) >= server_.options.max_queued_per_blocking_route) {
      handler.queued->fetch_sub(1);
      state->Answer(RouteBusy(label));
      return;
    }
    net::post(*server_.blocking_pools[handler.pool],
              [&handler, &label, request = std::move(request), state]() mutable {
                HttpResponse response;
                try {
                  response = handler.blocking(request);
                } catch (const std::exception& e) {
                  spdlog::error("http: {}: handler threw: {}", label, e.what());
                  response = HandlerFailed();
                } catch (...) {
                  spdlog::error("http: {}: handler threw a non-exception", label);
                  response = HandlerFailed();
                }
                handler.queued->fetch_sub(1);
                state->Answer(std::move(response));
              });
    return;
  }
  try {
    handler.async(std::move(request), [state](HttpResponse r) { state->Answer(std::move(r)); });
  } catch (const std::exception& e) {
    spdlog::error("http: {}: handler threw: {}", label, e.what());
    state->TryAnswer(HandlerFailed());
  } catch (...) {
    spdlog::error("http: {}: handler threw a non-exception", label);
    state->TryAnswer(HandlerFailed());
  }
}

void Connection::Complete(uint64_t seq, size_t route, HttpResponse response) {
  server_.Observe(route, response.status);
  if (closed_) return;
  WL_CHECK(seq >= first_seq_ && seq - first_seq_ < slots_.size(),
           "an answer belongs to a request still waiting for one");
  Slot& slot = slots_[seq - first_seq_];
  slot.response = std::move(response);
  slot.route = route;
  slot.answered = true;
  // Answers given while the buffer is parsed leave together, after it.
  if (!parsing_) StartWrite();
}

// --- Connection: writing ---

// The status line and headers of `slot`'s answer.
void AppendHead(const Slot& slot, bool close, std::string* out) {
  const HttpResponse& r = slot.response;
  const int status = r.status >= 200 && r.status <= 599 ? r.status : 500;
  std::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
  if (reason.empty() || reason.front() == '<') reason = "Unknown";
  out->append("HTTP/1.1 ").append(std::to_string(status)).append(" ").append(reason);
  if (!r.content_type.empty()) out->append("\r\nContent-Type: ").append(r.content_type);
  out->append("\r\nContent-Length: ").append(std::to_string(r.body.size()));
  if (close) {
    out->append("\r\nConnection: close");
  } else if (slot.http10_keep_alive) {
    out->append("\r\nConnection: keep-alive");
  }
  for (const auto& [name, value] : r.headers) {
    // The framing is ours to state.
    if (strcasecmp(name.c_str(), "Content-Length") == 0 ||
        strcasecmp(name.c_str(), "Connection") == 0 ||
        strcasecmp(name.c_str(), "Transfer-Encoding") == 0 ||
        (!r.content_type.empty() && strcasecmp(name.c_str(), "Content-Type") == 0)) {
      continue;
    }
    out->append("\r\n").append(name).append(": ").append(value);
  }
  out->append("\r\n\r\n");
}

// Writes the answers that are ready at the front, in one write.
void Connection::StartWrite() {
  if (closed_ || lingering_ || writing_ || slots_.empty() || !slots_.front().answered) return;
  heads_.clear();
  // Where each answer's separate body goes: after heads_[0, heads_end).
  struct Mark {
    size_t heads_end;
    const std::string* body;
  };
  std::array<Mark, EventLoopServer::kMaxPipelinedRequests> marks;
  size_t count = 0;
  bool closes = false;
  // Once Stop has begun, the last answer says the connection ends, even
  // before this connection's Drain has run.
  const bool ending = will_close_ || server_.stopping.load();
  for (; count < slots_.size() && slots_[count].answered; ++count) {
    const Slot& slot = slots_[count];
    closes = slot.close_after || (ending && count + 1 == slots_.size());
    AppendHead(slot, closes, &heads_);
    const std::string& body = slot.response.body;
    const bool send_body = !slot.head && !body.empty();
    if (send_body && body.size() < kCopyBodyBelowBytes) heads_.append(body);
    marks[count] = {heads_.size(),
                    send_body && body.size() >= kCopyBodyBelowBytes ? &body : nullptr};
    if (closes) {
      ++count;
      break;
    }
  }
  WriteBuffers buffers;
  size_t written = 0;
  for (size_t i = 0; i < count; ++i) {
    if (marks[i].heads_end > written) {
      buffers.items[buffers.count++] =
          net::buffer(heads_.data() + written, marks[i].heads_end - written);
      written = marks[i].heads_end;
    }
    if (marks[i].body != nullptr) {
      buffers.items[buffers.count++] = net::buffer(marks[i].body->data(), marks[i].body->size());
    }
  }
  write_count_ = count;
  write_closes_ = closes;
  writing_ = true;
  write_started_ = Clock::now();
  net::async_write(socket_, buffers,
                   [self = shared_from_this()](error_code ec, size_t) { self->OnWritten(ec); });
}

void Connection::OnWritten(error_code ec) {
  writing_ = false;
  if (closed_) return;
  if (ec) {
    Close();
    return;
  }
  for (size_t i = 0; i < write_count_; ++i) slots_.pop_front();
  first_seq_ += write_count_;
  write_count_ = 0;
  if (write_closes_) {
    Linger();
    return;
  }
  if (slots_.empty()) idle_since_ = Clock::now();
  Advance();
}

// --- Connection: closing and deadlines ---

void Connection::Linger() {
  if (lingering_ || closed_) return;
  lingering_ = true;
  will_close_ = true;
  linger_until_ = Clock::now() + kLingerTimeout;
  parser_.reset();
  begin_ = end_ = 0;
  error_code ec;
  socket_.shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    Close();
    return;
  }
  WantRead();
}

void Connection::Drain() {
  if (closed_) return;
  will_close_ = true;
  parser_.reset();
  if (slots_.empty() || reading_body_) {
    Close();
    return;
  }
  StartWrite();
}

void Connection::Close() {
  if (closed_) return;
  const std::shared_ptr<Connection> self = shared_from_this();  // Unregister may drop the last
  closed_ = true;
  error_code ec;
  socket_.close(ec);
  slots_.clear();
  parser_.reset();
  loop_.Unregister(this);
  server_.ConnectionClosed(remote_address_);
}

// The earliest deadline that applies now, and what it bounds.
std::pair<Connection::Phase, Clock::time_point> Connection::Deadline() const {
  if (lingering_) return {Phase::kLinger, linger_until_};
  const EventLoopServerOptions& o = server_.options;
  std::pair<Phase, Clock::time_point> earliest{Phase::kNone, Clock::time_point::max()};
  auto consider = [&](Phase phase, Clock::time_point at) {
    if (at < earliest.second) earliest = {phase, at};
  };
  if (writing_) consider(Phase::kWrite, write_started_ + Ms(o.write_timeout_ms));
  if (reading_body_) {
    consider(Phase::kBody, body_started_ + Ms(o.body_timeout_ms));
  } else if (parser_) {
    consider(Phase::kHead, head_started_ + Ms(o.header_timeout_ms));
  } else if (slots_.empty() && !writing_) {
    consider(Phase::kIdle, idle_since_ + Ms(o.idle_timeout_ms));
  }
  return earliest;
}

bool Connection::Due(Clock::time_point now) const {
  if (closed_) return false;
  const auto [phase, at] = Deadline();
  return phase != Phase::kNone && now >= at;
}

void Connection::Expire(Clock::time_point now) {
  if (!Due(now)) return;
  const Phase phase = Deadline().first;
  if (phase == Phase::kHead || phase == Phase::kBody || phase == Phase::kWrite) {
    server_.cut.fetch_add(1);
    spdlog::debug("http: connection cut at its {} deadline", phase == Phase::kHead   ? "header"
                                                             : phase == Phase::kBody ? "body"
                                                                                     : "write");
  }
  Close();
}

// Raises the soft limit on open files to the hard limit: every connection is
// a descriptor.
void RaiseOpenFilesLimit(int max_connections) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) getrlimit(RLIMIT_NOFILE, &limit);
  }
  spdlog::info("http: open files limit {}", static_cast<uint64_t>(limit.rlim_cur));
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < static_cast<rlim_t>(max_connections)) {
    spdlog::warn("http: the open files limit {} is below max_connections {}",
                 static_cast<uint64_t>(limit.rlim_cur), max_connections);
  }
}

Result<tcp::endpoint> ResolveListen(net::io_context& io, const std::string& host, int port) {
  error_code ec;
  const net::ip::address address = net::ip::make_address(host, ec);
  if (!ec) return tcp::endpoint(address, static_cast<unsigned short>(port));
  tcp::resolver resolver(io);
  auto results = resolver.resolve(host, std::to_string(port), ec);
  if (ec || results.empty()) {
    return Status::InvalidArgument("http: cannot resolve " + host + ": " + ec.message());
  }
  return results.begin()->endpoint();
}

}  // namespace

// --- EventLoopServer ---

struct EventLoopServer::Impl : ServerState {
  std::vector<std::shared_ptr<Loop>> loops;
  // On loops[0]; destroyed before the loops.
  std::optional<tcp::acceptor> acceptor;
  std::optional<net::steady_timer> accept_retry;
  size_t next_loop = 0;  // loops[0]'s thread only
  bool started = false;  // the Start and Stop caller's

  void Accept();
  void OnAccept(error_code ec, Socket socket, Loop& loop);
};

void EventLoopServer::Impl::Accept() {
  Loop& loop = *loops[next_loop++ % loops.size()];
  acceptor->async_accept(loop.io, [this, &loop](error_code ec, Socket socket) {
    OnAccept(ec, std::move(socket), loop);
  });
}

void EventLoopServer::Impl::OnAccept(error_code ec, Socket socket, Loop& loop) {
  if (ec == net::error::operation_aborted || stopping.load()) return;
  if (ec) {
    spdlog::warn("http: accept failed: {}; retrying in {} ms", ec.message(),
                 kAcceptRetryDelay.count());
    accept_retry->expires_after(kAcceptRetryDelay);
    accept_retry->async_wait([this](error_code wait) {
      if (!wait) Accept();
    });
    return;
  }
  error_code peer_ec;
  const tcp::endpoint peer = socket.remote_endpoint(peer_ec);
  std::string address = peer_ec ? std::string() : peer.address().to_string();
  if (open.load() >= options.max_connections) {
    rejected.fetch_add(1);
    error_code ignored;
    socket.close(ignored);
  } else if (!OpenFrom(address)) {
    rejected.fetch_add(1);
    rejected_by_address.fetch_add(1);
    error_code ignored;
    socket.close(ignored);
  } else {
    open.fetch_add(1);
    auto connection =
        std::make_shared<Connection>(*this, loop, std::move(socket), std::move(address));
    net::post(loop.io, [connection] { connection->Start(); });
  }
  Accept();
}

EventLoopServer::EventLoopServer(EventLoopServerOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
}

EventLoopServer::~EventLoopServer() { Stop(); }

void EventLoopServer::Route(const std::string& method, const std::string& path_template,
                            AsyncHandler handler, std::string label) {
  auto route = impl_->routes.Add(method, path_template, std::move(label));
  WL_CHECK(route.ok(), route.status().ToString());
  impl_->handlers.push_back({std::move(handler), nullptr});
}

void EventLoopServer::RouteBlocking(const std::string& method, const std::string& path_template,
                                    HttpHandler handler, std::string label, BlockingPool pool) {
  auto route = impl_->routes.Add(method, path_template, std::move(label));
  WL_CHECK(route.ok(), route.status().ToString());
  RouteHandler h;
  h.blocking = std::move(handler);
  h.own_pool = pool == BlockingPool::kOwn;
  impl_->handlers.push_back(std::move(h));
}

void EventLoopServer::OnResponse(ResponseObserver observer) {
  impl_->observer = std::move(observer);
}

Status EventLoopServer::Start() {
  Impl& impl = *impl_;
  WL_CHECK(impl.loops.empty(), "EventLoopServer::Start is called once");
  const EventLoopServerOptions& o = impl.options;
  WL_CHECK(o.io_threads >= 1 && o.blocking_threads >= 1 && o.max_connections >= 1,
           "EventLoopServerOptions: threads and max_connections are at least 1");
  RaiseOpenFilesLimit(o.max_connections);
  for (int i = 0; i < o.io_threads; ++i) impl.loops.push_back(std::make_shared<Loop>());
  net::io_context& io = impl.loops[0]->io;
  auto endpoint = ResolveListen(io, o.host, o.port);
  if (!endpoint.ok()) return endpoint.status();
  impl.acceptor.emplace(io);
  error_code ec;
  const std::string where = o.host + ":" + std::to_string(o.port);
  impl.acceptor->open(endpoint->protocol(), ec);
  if (!ec) impl.acceptor->set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) impl.acceptor->bind(*endpoint, ec);
  if (!ec) impl.acceptor->listen(o.backlog, ec);
  if (ec) {
    impl.acceptor.reset();
    impl.loops.clear();
    return Status::Unavailable("http: cannot listen on " + where + " (in use?): " + ec.message());
  }
  port_ = impl.acceptor->local_endpoint().port();
  impl.accept_retry.emplace(io);
  const bool any_shared =
      std::any_of(impl.handlers.begin(), impl.handlers.end(),
                  [](const RouteHandler& h) { return h.blocking != nullptr && !h.own_pool; });
  impl.blocking_pools.push_back(
      any_shared ? std::make_unique<net::thread_pool>(static_cast<size_t>(o.blocking_threads))
                 : nullptr);
  for (RouteHandler& h : impl.handlers) {
    if (h.blocking == nullptr || !h.own_pool) continue;
    h.pool = impl.blocking_pools.size();
    impl.blocking_pools.push_back(std::make_unique<net::thread_pool>(1));
  }
  const bool any_blocking = any_shared || impl.blocking_pools.size() > 1;
  impl.Accept();
  for (size_t i = 0; i < impl.loops.size(); ++i) {
    Loop& loop = *impl.loops[i];
    loop.ArmSweep();
    loop.thread = std::thread([&loop, i] {
      pthread_setname_np(pthread_self(), ("wl-http-io-" + std::to_string(i)).c_str());
      for (;;) {
        try {
          loop.io.run();
          return;
        } catch (const std::exception& e) {
          spdlog::error("http: loop {} caught: {}", i, e.what());
        }
      }
    });
  }
  impl.started = true;
  spdlog::info("http: listening on {}:{} ({} loop threads, {} blocking)", o.host, port_,
               o.io_threads, any_blocking ? o.blocking_threads : 0);
  return Status::Ok();
}

void EventLoopServer::Stop() {
  Impl& impl = *impl_;
  if (!impl.started) return;
  impl.started = false;
  impl.stopping.store(true);
  net::post(impl.loops[0]->io, [&impl] {
    error_code ec;
    impl.acceptor->close(ec);
    impl.accept_retry->cancel();
  });
  for (const auto& loop : impl.loops) {
    net::post(loop->io, [loop = loop.get()] {
      const std::vector<std::shared_ptr<Connection>> open = loop->connections;
      for (const auto& connection : open) connection->Drain();
    });
  }
  {
    MutexLock lock(&impl.drain_mu);
    const bool drained = impl.drained.WaitUntil(Clock::now() + Ms(impl.options.drain_timeout_ms),
                                                [&] { return impl.open.load() == 0; });
    if (!drained) {
      spdlog::warn("http: {} connections still open after the drain timeout; closing them",
                   impl.open.load());
    }
  }
  for (const auto& loop : impl.loops) {
    net::post(loop->io, [loop = loop.get()] {
      loop->CloseAll();
      loop->sweep_timer.cancel();
      loop->io.stop();
    });
  }
  for (const auto& loop : impl.loops) loop->thread.join();
  for (const auto& pool : impl.blocking_pools) {
    if (pool == nullptr) continue;
    pool->stop();
    pool->join();
  }
  impl.acceptor.reset();
  impl.accept_retry.reset();
}

int64_t EventLoopServer::open_connections() const { return impl_->open.load(); }
int64_t EventLoopServer::rejected_connections() const { return impl_->rejected.load(); }
int64_t EventLoopServer::rejected_by_address() const { return impl_->rejected_by_address.load(); }
int64_t EventLoopServer::cut_connections() const { return impl_->cut.load(); }

}  // namespace wanderluxe
