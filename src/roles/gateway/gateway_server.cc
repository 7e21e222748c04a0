#include "roles/gateway/gateway_server.h"

#include <spdlog/spdlog.h>
#include <strings.h>

#include <nlohmann/json.hpp>

#include "adapters/redis/redis_commands.h"
#include "adapters/redis/redis_connect.h"
#include "adapters/redis/redis_idempotency_store.h"
#include "adapters/redis/redis_status_reads.h"
#include "roles/gateway/openapi_document.h"
#include "wanderluxe/check.h"
#include "wanderluxe/prefer_wait.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

// Route labels, as the request metrics name them.
constexpr const char* kPostBookings = "POST /api/v1/bookings";
constexpr const char* kGetBooking = "GET /api/v1/bookings/{id}";
constexpr const char* kGetInventory = "GET /api/v1/properties/{id}/inventory";
constexpr const char* kHealthz = "GET /healthz";
constexpr const char* kReadyz = "GET /readyz";
constexpr const char* kMetrics = "GET /metrics";
constexpr const char* kOpenApi = "GET /openapi.yaml";

// /readyz: how long the broker has to answer, and how long one check's answer
// serves every probe (kubelet probes every few seconds; a burst shares one check).
constexpr std::chrono::milliseconds kReadinessKafkaTimeout{1000};
constexpr std::chrono::milliseconds kReadinessRefresh{1000};

// How many times the request carries header `name`.
size_t HeaderCount(const HttpRequest& req, const std::string& name) {
  size_t n = 0;
  for (const auto& [k, v] : req.headers) n += strcasecmp(k.c_str(), name.c_str()) == 0;
  return n;
}

// Every value of header `name`, in order.
std::vector<std::string_view> HeaderValues(const HttpRequest& req, const std::string& name) {
  std::vector<std::string_view> values;
  for (const auto& [k, v] : req.headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) values.push_back(v);
  }
  return values;
}

HttpResponse Json(int status, const json& body) {
  return {status, "application/json", body.dump(), {}};
}

HttpResponse DependencyDown(const std::string& what, const Status& s) {
  spdlog::warn("{} unavailable: {}", what, s.ToString());
  HttpResponse r = ProblemResponse(503, "Service Unavailable", what + " unavailable");
  r.headers.emplace_back("Retry-After", "1");
  return r;
}

}  // namespace

IntakeOptions IntakeOptionsFrom(const Config& config) {
  const GatewayConfig& g = config.gateway;
  IntakeOptions o;
  o.limits = {g.currencies, g.max_amount_minor};
  o.requests_topic = config.kafka.requests_topic;
  o.in_flight_ttl = std::chrono::seconds(g.idem_inflight_ttl_s);
  o.done_ttl = std::chrono::seconds(g.idem_done_ttl_s);
  o.max_in_flight = g.max_inflight;
  return o;
}

EventLoopServerOptions ServerOptionsFrom(const GatewayConfig& g) {
  EventLoopServerOptions o;
  o.host = g.listen_host;
  o.port = static_cast<int>(g.port);
  o.io_threads = static_cast<int>(g.io_threads);
  o.blocking_threads = static_cast<int>(g.blocking_threads);
  o.max_connections = static_cast<int>(g.max_connections);
  o.max_connections_per_address = static_cast<int>(g.max_connections_per_address);
  o.backlog = static_cast<int>(g.backlog);
  o.max_header_bytes = static_cast<size_t>(g.max_header_bytes);
  o.max_body_bytes = static_cast<size_t>(g.max_body_bytes);
  o.header_timeout_ms = static_cast<int>(g.header_timeout_ms);
  o.body_timeout_ms = static_cast<int>(g.body_timeout_ms);
  o.idle_timeout_ms = static_cast<int>(g.idle_timeout_ms);
  o.write_timeout_ms = static_cast<int>(g.write_timeout_ms);
  o.drain_timeout_ms = static_cast<int>(g.drain_timeout_ms);
  return o;
}

namespace {

RateLimit PostLimit(const GatewayConfig& g) {
  return {static_cast<double>(g.post_per_s), g.post_burst,
          static_cast<size_t>(g.rate_limit_clients)};
}

RateLimit GetLimit(const GatewayConfig& g) {
  return {static_cast<double>(g.get_per_s), g.get_burst, static_cast<size_t>(g.rate_limit_clients)};
}

}  // namespace

GatewayServer::GatewayServer(const Config& config, GatewayDependencies deps)
    : config_(config),
      deps_(std::move(deps)),
      post_limiter_(PostLimit(config.gateway), SystemClock()),
      get_limiter_(GetLimit(config.gateway), SystemClock()) {
  WL_CHECK((config_.gateway.auth_mode == "api-key") == (deps_.client_keys != nullptr),
           "GatewayServer: client keys must be given exactly when gateway.auth_mode is api-key");
  redis_async_ = CreateRedisAsync(*deps_.redis);
  idempotency_ = std::make_unique<RedisIdempotencyStore>(*deps_.redis, *redis_async_);
  // On a Cluster each call is a round trip of its own on a pooled connection
  // already; a second set of workers would only add pool_size threads.
  if (!IsRedisCluster(config_.redis)) status_redis_async_ = CreateRedisAsync(*deps_.redis);
  status_reads_ = std::make_unique<RedisStatusReads>(
      status_redis_async_ != nullptr ? *status_redis_async_ : *redis_async_);
  waiters_ = std::make_unique<StatusWaiters>(static_cast<size_t>(config_.gateway.max_waiters));
  if (deps_.outcomes != nullptr) {
    outcome_watch_ = std::make_unique<OutcomeWatch>(
        *deps_.outcomes, *waiters_, SystemClock(),
        *metrics_.GetHistogram("gateway_outcome_lag_seconds",
                               "outcome events: from their timestamp to this gateway's read"));
  }
  status_answers_ = std::make_unique<StatusAnswers>(
      *status_reads_, *waiters_, SystemClock(),
      *metrics_.GetHistogram("gateway_status_wake_seconds",
                             "waiting reads: from an outcome's wake to the answer, the view read"));
  IntakeOptions intake = IntakeOptionsFrom(config_);
  intake.client_keys = deps_.client_keys;
  intake_ =
      std::make_unique<BookingIntake>(std::move(intake), *idempotency_, *deps_.producer, metrics_);
  readiness_ = std::make_unique<ReadinessProbe>(*deps_.redis, *deps_.producer,
                                                kReadinessKafkaTimeout, kReadinessRefresh);
  responses_ = std::make_unique<ResponseCounters>(
      metrics_, std::vector<std::string>{kUnroutedLabel, kPostBookings, kGetBooking, kGetInventory,
                                         kHealthz, kReadyz, kMetrics, kOpenApi});
  http_ = std::make_unique<EventLoopServer>(ServerOptionsFrom(config_.gateway));
  AddRoutes();
}

GatewayServer::~GatewayServer() { Stop(); }

Status GatewayServer::Start() {
  if (Status s = http_->Start(); !s.ok()) return s;
  if (outcome_watch_ != nullptr) outcome_watch_->Start();
  return Status::Ok();
}

void GatewayServer::Stop() {
  // Waiting reads are answered with their view as it is now, then drained
  // with every other answer; a read that comes meanwhile does not wait.
  if (outcome_watch_ != nullptr) outcome_watch_->Stop();
  waiters_->Close();
  http_->Stop();
  // A read whose client left during the drain may still be in Redis; it
  // ends within its deadline (twice redis.command_timeout_ms on a cluster).
  const auto reads_bound = std::chrono::milliseconds(2 * config_.redis.command_timeout_ms);
  if (!status_answers_->WaitIdle(reads_bound)) {
    spdlog::warn("status reads still in flight after {} ms", reads_bound.count());
  }
  // A booking whose answer was not written (its client gone, or the drain
  // over) is still being accepted: its callbacks use the intake, the store
  // and the asynchronous Redis calls, so they must end first. Every publish
  // is answered by LongestPublishMs.
  const auto bound = std::chrono::milliseconds(LongestPublishMs(config_.kafka));
  if (!intake_->WaitIdle(bound)) {
    spdlog::warn("{} booking request(s) still unanswered after {} ms", intake_->in_flight(),
                 bound.count());
  }
}

void GatewayServer::RecordConnections() {
  metrics_.GetGauge("gateway_open_connections", "client connections open")
      ->Set(http_->open_connections());
  metrics_
      .GetGauge("gateway_rejected_connections", "connections closed at once: max_connections open")
      ->Set(http_->rejected_connections());
  metrics_
      .GetGauge("gateway_rejected_by_address",
                "of those, closed because their address had max_connections_per_address open")
      ->Set(http_->rejected_by_address());
  metrics_
      .GetGauge("gateway_cut_connections",
                "connections cut by the header, body or write deadline (slow clients)")
      ->Set(http_->cut_connections());
}

void GatewayServer::RecordWaiters() {
  const WaiterCounts c = waiters_->counts();
  metrics_.GetGauge("gateway_status_waiters", "reads waiting for an outcome (Prefer: wait) now")
      ->Set(c.waiting);
  metrics_.GetGauge("gateway_status_waiters_woken", "waiting reads woken by an outcome event")
      ->Set(c.woken);
  metrics_.GetGauge("gateway_status_waiters_timed_out", "waiting reads answered at their deadline")
      ->Set(c.timed_out);
  metrics_
      .GetGauge("gateway_status_waiters_refused",
                "reads that asked to wait, answered at once: gateway.max_waiters were waiting")
      ->Set(c.refused);
  metrics_.GetGauge("gateway_status_waiters_shut_down", "waiting reads answered by a shutdown")
      ->Set(c.shut_down);
  metrics_.GetGauge("gateway_status_reads_in_flight", "booking reads Redis has not answered yet")
      ->Set(status_answers_->reads_in_flight());
  if (outcome_watch_ != nullptr) {
    metrics_.GetGauge("gateway_outcome_events", "outcome events read to wake waiting reads")
        ->Set(outcome_watch_->events());
    metrics_.GetGauge("gateway_outcome_read_errors", "failed reads of booking.outcomes")
        ->Set(outcome_watch_->errors());
  }
}

std::optional<HttpResponse> GatewayServer::OverRate(RateLimiter& limiter, const HttpRequest& req,
                                                    const std::optional<std::string>& caller,
                                                    const char* what) const {
  if (!limiter.enabled()) return std::nullopt;
  const std::string client =
      caller && !caller->empty() ? "client " + *caller : "address " + req.remote_address;
  const RateDecision decision = limiter.Take(client);
  if (decision.allowed) return std::nullopt;
  const int64_t retry_s = std::max<int64_t>(1, (decision.retry_after.count() + 999) / 1000);
  HttpResponse r = ProblemResponse(
      429, "Too Many Requests",
      client + " is over its rate for " + what + "; retry after " + std::to_string(retry_s) + " s");
  r.headers.emplace_back("Retry-After", std::to_string(retry_s));
  return r;
}

void GatewayServer::ReadBooking(const HttpRequest& req, EventLoopServer::Responder respond) {
  const std::optional<std::string> caller = Caller(req);
  if (auto refused = OverRate(get_limiter_, req, caller, "reads of bookings")) {
    return respond(std::move(*refused));
  }
  if (!caller) return respond(Unauthorized());
  const std::optional<int64_t> wait_s =
      PreferredWaitSeconds(HeaderValues(req, "Prefer"), config_.gateway.max_wait_s);
  status_answers_->Answer(req.path_params[0], *caller, wait_s, std::move(respond));
}

void GatewayServer::AddRoutes() {
  // Every answer is counted, whoever gave it: a handler, a 500 for a handler
  // that threw, or the server itself (404, 405, framing errors).
  http_->OnResponse(
      [this](const std::string& route, int status) { responses_->Count(route, status); });
  AddBookingRoutes();
  AddOperationsRoutes();
}

std::optional<std::string> GatewayServer::Caller(const HttpRequest& req) const {
  if (deps_.client_keys == nullptr) return std::string();
  return deps_.client_keys->Authenticate(req.Header("Authorization"));
}

void GatewayServer::AddBookingRoutes() {
  EventLoopServer& http = *http_;
  http.Route(
      "POST", "/api/v1/bookings",
      [this](HttpRequest req, EventLoopServer::Responder respond) {
        // The intake authenticates the key itself; here only when limits count by it.
        if (post_limiter_.enabled()) {
          if (auto refused = OverRate(post_limiter_, req, Caller(req), "booking requests")) {
            return respond(std::move(*refused));
          }
        }
        IntakeRequest in;
        const size_t keys = HeaderCount(req, "Idempotency-Key");
        in.has_idempotency_key = keys > 0;
        in.idempotency_key_repeated = keys > 1;
        in.idempotency_key = req.Header("Idempotency-Key");
        in.authorization = req.Header("Authorization");
        in.content_type = req.Header("Content-Type");
        in.body = std::move(req.body);
        intake_->Submit(std::move(in), std::move(respond));
      },
      kPostBookings);

  // On the loop thread: one MGET, answered from its I/O thread (StatusAnswers).
  http.Route(
      "GET", "/api/v1/bookings/{id}",
      [this](HttpRequest req, EventLoopServer::Responder respond) {
        ReadBooking(req, std::move(respond));
      },
      kGetBooking);

  http.RouteBlocking(
      "GET", "/api/v1/properties/{id}/inventory",
      [this](const HttpRequest& req) {
        const std::optional<std::string> caller = Caller(req);
        if (auto refused = OverRate(get_limiter_, req, caller, "reads of inventory")) {
          return *refused;
        }
        if (!caller) return Unauthorized();
        const std::string& property = req.path_params[0];
        if (deps_.inventory == nullptr) {
          return DependencyDown("inventory", Status::Unavailable("not configured"));
        }
        auto levels = deps_.inventory->Levels(property);
        if (levels.status().code() == StatusCode::kNotFound) {
          return ProblemResponse(404, "Not Found", "property " + property + " has no inventory");
        }
        if (!levels.ok()) return DependencyDown("inventory", levels.status());
        json body = {{"propertyId", property},
                     {"available", levels->available},
                     {"held", levels->held},
                     {"sold", levels->sold},
                     {"waiting", levels->waiting},
                     {"total", levels->total ? json(*levels->total) : json(nullptr)}};
        return Json(200, body);
      },
      kGetInventory);
}

void GatewayServer::AddOperationsRoutes() {
  EventLoopServer& http = *http_;
  // Liveness: answered on the loop thread, from a body built once.
  http.Route(
      "GET", "/healthz",
      [ok = Json(200, {{"status", "ok"}})](HttpRequest, EventLoopServer::Responder respond) {
        respond(ok);
      },
      kHealthz);

  http.RouteBlocking(
      "GET", "/readyz",
      [this](const HttpRequest&) {
        const Readiness r = readiness_->Check();
        json checks = {{"redis", r.redis.ok() ? "ok" : r.redis.ToString()},
                       {"kafka", r.kafka.ok() ? "ok" : r.kafka.ToString()}};
        if (r.ready()) return Json(200, {{"status", "ready"}, {"checks", checks}});
        return ProblemResponse(503, "Not Ready", "a dependency is unreachable",
                               json{{"checks", checks}}.dump());
      },
      kReadyz, EventLoopServer::BlockingPool::kOwn);

  http.RouteBlocking(
      "GET", "/metrics",
      [this](const HttpRequest&) {
        RecordConnections();
        RecordWaiters();
        return HttpResponse{200, "text/plain; version=0.0.4", metrics_.RenderPrometheus(), {}};
      },
      kMetrics);

  Result<std::string> rendered = OpenApiDocumentFor(config_.gateway);
  // The block's markers are in the built document (unit.openapi_document).
  WL_CHECK(rendered.ok(), rendered.status().ToString());
  http.Route(
      "GET", "/openapi.yaml",
      [document = std::make_shared<const std::string>(std::move(*rendered))](
          HttpRequest, EventLoopServer::Responder respond) {
        respond(HttpResponse{200, "application/yaml", *document, {}});
      },
      kOpenApi);
}

}  // namespace wanderluxe
