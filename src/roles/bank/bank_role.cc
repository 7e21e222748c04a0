#include "roles/bank/bank_role.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "adapters/bank/simulated_bank.h"
#include "adapters/http/http_server.h"
#include "roles/common/termination.h"
#include "wanderluxe/booking_request.h"

namespace wanderluxe {
namespace {

using nlohmann::json;

HttpResponse StateResponse(int status, const std::string& key, const ChargeEntry& e) {
  return {status,
          "application/json",
          json{{"key", key},
               {"status", ChargeStateName(e.state)},
               {"transactionId", e.transaction_id},
               {"amount", e.amount.minor_units},
               {"currency", e.amount.currency}}
              .dump(),
          {}};
}

void AddRoutes(HttpServer& http, SimulatedBank& bank, const BankConfig& config) {
  const auto timeout = std::chrono::milliseconds(config.request_timeout_ms);
  http.Route("POST", "/v1/charges", [&bank, timeout](const HttpRequest& req) {
    const std::string key = req.Header("Idempotency-Key");
    if (!IsValidIdempotencyKey(key)) {
      return ProblemResponse(400, "Bad Request", "Idempotency-Key header is required");
    }
    json body = json::parse(req.body, nullptr, /*allow_exceptions=*/false);
    if (!body.is_object() || !body.contains("amount") || !body["amount"].is_number_integer() ||
        body["amount"].get<int64_t>() <= 0 || !body.contains("currency") ||
        !body["currency"].is_string()) {
      return ProblemResponse(
          400, "Bad Request",
          "body must be {\"amount\": <minor units, integer > 0>, \"currency\": \"USD\"}");
    }
    const Money amount{body["amount"].get<int64_t>(), body["currency"].get<std::string>()};
    ChargeResult r = bank.Charge(key, amount, timeout);
    switch (r.outcome) {
      case ChargeOutcome::kCaptured:
        return StateResponse(201, key, *bank.book().Lookup(key));
      case ChargeOutcome::kDeclined:
        return StateResponse(402, key, *bank.book().Lookup(key));
      case ChargeOutcome::kUnknown:
        break;
    }
    return ProblemResponse(r.detail == "timeout" ? 504 : 503, "Bank Unavailable", r.detail);
  });
  http.Route("GET", "/v1/charges/([^/]{1,255})", [&bank](const HttpRequest& req) {
    auto entry = bank.book().Lookup(req.path_params[0]);
    if (!entry) return ProblemResponse(404, "Not Found", "no charge with this key");
    return StateResponse(200, req.path_params[0], *entry);
  });
  http.Route("GET", "/v1/charges", [&bank](const HttpRequest&) {
    json all = json::array();
    for (const auto& [key, e] : bank.book().All()) {
      all.push_back({{"key", key},
                     {"status", ChargeStateName(e.state)},
                     {"transactionId", e.transaction_id},
                     {"amount", e.amount.minor_units},
                     {"currency", e.amount.currency}});
    }
    return HttpResponse{200, "application/json", json{{"charges", all}}.dump(), {}};
  });
  http.Route("POST", "/v1/charges/([^/]{1,255})/void", [&bank](const HttpRequest& req) {
    auto state = bank.book().Void(req.path_params[0]);
    if (!state.ok()) return ProblemResponse(503, "Bank Unavailable", state.status().message());
    return StateResponse(200, req.path_params[0], *bank.book().Lookup(req.path_params[0]));
  });
  http.Route("GET", "/healthz", [](const HttpRequest&) {
    return HttpResponse{200, "application/json", R"({"status":"ok"})", {}};
  });
}

int RunBank(const RoleContext& context) {
  BlockTerminationSignals();
  const BankConfig& config = context.config.bank;
  auto book = ChargeBook::Open(config.book_path);
  if (!book.ok()) {
    spdlog::error("bank: {}", book.status().ToString());
    return kExitFailure;
  }
  const size_t replayed = (*book)->All().size();
  SimulatedBank bank(config, std::move(*book));
  HttpServer http(
      {config.listen_host, static_cast<int>(config.port), static_cast<int>(config.server_threads)});
  AddRoutes(http, bank, config);
  if (Status s = http.Start(); !s.ok()) {
    spdlog::error("bank: {}", s.ToString());
    return kExitFailure;
  }
  spdlog::info(
      "bank listening on {}:{}; {} charges in the book at {}; latency {} ms, "
      "decline {}%, timeout {}%, error {}%",
      config.listen_host, http.port(), replayed, config.book_path, config.latency_ms,
      config.decline_pct, config.timeout_pct, config.error_pct);
  while (!WaitForTermination(std::chrono::seconds(1))) {
  }
  http.Stop();
  spdlog::info("bank stopped");
  return kExitOk;
}

}  // namespace

RoleMain AddBankCommand(CLI::App&) { return RunBank; }

}  // namespace wanderluxe
