#include "adapters/http/http_connection_pool.h"

#include <utility>

namespace wanderluxe {
namespace {

using Clock = std::chrono::steady_clock;

Status Named(const HttpExchangeRequest& request, const Status& s) {
  return {s.code(), request.method + " " + request.target + ": " + s.message()};
}

}  // namespace

HttpConnectionPool::HttpConnectionPool(HttpConnectionPoolOptions options)
    : options_(std::move(options)) {}

HttpConnectionPool::~HttpConnectionPool() = default;

Result<HttpResult> HttpConnectionPool::Call(const HttpExchangeRequest& request,
                                            std::chrono::milliseconds timeout) {
  const TimePoint now = Clock::now();
  const TimePoint deadline = now + timeout;
  std::unique_ptr<HttpConnection> kept = TakeKept(now);
  if (kept == nullptr) return CallFresh(request, deadline);
  reused_.fetch_add(1, std::memory_order_relaxed);
  Result<HttpResult> answer = kept->Exchange(request, deadline, /*keep_alive=*/true);
  if (!kept->BrokeBeforeAnswer()) {
    GiveBack(std::move(kept));
    return answer;
  }
  // The server closed the kept connection, likely before the request reached
  // it; it may also have acted on it and closed before answering. Either way
  // the request goes again, once, on a new connection: callers send only
  // idempotent requests through a pool.
  kept.reset();
  if (Clock::now() >= deadline) return answer.status();
  retried_.fetch_add(1, std::memory_order_relaxed);
  Result<HttpResult> again = CallFresh(request, deadline);
  if (!again.ok() && again.status().code() == StatusCode::kUnavailable) {
    // No new connection, but the first send may have landed: not "nothing sent".
    return Status::DeadlineExceeded(again.status().message() + " (after a kept connection broke: " +
                                    answer.status().message() + ")");
  }
  return again;
}

Result<HttpResult> HttpConnectionPool::CallFresh(const HttpExchangeRequest& request,
                                                 TimePoint deadline) {
  auto connection = HttpConnection::Open(options_.base_url, deadline);
  if (!connection.ok()) return Named(request, connection.status());
  opened_.fetch_add(1, std::memory_order_relaxed);
  Result<HttpResult> answer =
      (*connection)->Exchange(request, deadline, /*keep_alive=*/options_.max_idle > 0);
  GiveBack(std::move(*connection));
  return answer;
}

std::unique_ptr<HttpConnection> HttpConnectionPool::TakeKept(TimePoint now) {
  for (;;) {
    std::unique_ptr<HttpConnection> connection;
    std::vector<std::unique_ptr<HttpConnection>> older;  // closed outside the lock
    bool expired = false;
    {
      MutexLock lock(&mu_);
      if (kept_.empty()) return nullptr;
      connection = std::move(kept_.back());
      kept_.pop_back();
      // Newest last: once the newest has been idle too long, so have the rest.
      expired = now - connection->idle_since() > options_.max_idle_age;
      if (expired) older.swap(kept_);
    }
    if (!expired && connection->Reusable()) return connection;
  }
}

void HttpConnectionPool::GiveBack(std::unique_ptr<HttpConnection> connection) {
  if (!connection->Reusable()) return;  // closed here
  MutexLock lock(&mu_);
  if (kept_.size() < options_.max_idle) kept_.push_back(std::move(connection));
  // Else the pool is full: `connection` closes when this returns, after the lock.
}

HttpConnectionPool::Counts HttpConnectionPool::counts() const {
  return {opened_.load(std::memory_order_relaxed), reused_.load(std::memory_order_relaxed),
          retried_.load(std::memory_order_relaxed)};
}

size_t HttpConnectionPool::idle() const {
  MutexLock lock(&mu_);
  return kept_.size();
}

}  // namespace wanderluxe
