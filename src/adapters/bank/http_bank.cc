#include "adapters/bank/http_bank.h"

#include <nlohmann/json.hpp>

namespace wanderluxe {
namespace {

using nlohmann::json;

Result<ChargeState> StateFrom(const HttpResult& r) {
  json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  const std::string state = body.is_object() ? body.value("status", "") : "";
  if (state == "CAPTURED") return ChargeState::kCaptured;
  if (state == "DECLINED") return ChargeState::kDeclined;
  if (state == "VOIDED") return ChargeState::kVoided;
  return Status::Internal("bank answered " + std::to_string(r.status) + " " + r.body);
}

}  // namespace

HttpBank::HttpBank(std::string base_url, size_t pool_size)
    : pool_({std::move(base_url), pool_size, kBankConnectionMaxIdle}) {}

ChargeResult HttpBank::Charge(const std::string& key, const Money& amount,
                              std::chrono::milliseconds timeout) {
  const std::string body =
      json{{"amount", amount.minor_units}, {"currency", amount.currency}}.dump();
  auto r = pool_.Call({"POST", "/v1/charges", {{"Idempotency-Key", key}}, body}, timeout);
  if (!r.ok()) return {ChargeOutcome::kUnknown, "", r.status().ToString()};
  if (r->status == 201 || r->status == 200) {
    json doc = json::parse(r->body, nullptr, false);
    if (doc.is_object() && doc.value("status", "") == "CAPTURED") {
      return {ChargeOutcome::kCaptured, doc.value("transactionId", ""), ""};
    }
  }
  if (r->status == 402) return {ChargeOutcome::kDeclined, "", r->body};
  return {ChargeOutcome::kUnknown, "", "bank answered " + std::to_string(r->status)};
}

Result<ChargeState> HttpBank::Void(const std::string& key, std::chrono::milliseconds timeout) {
  auto r = pool_.Call({"POST", "/v1/charges/" + key + "/void"}, timeout);
  if (!r.ok()) return r.status();
  if (r->status != 200) return Status::Unavailable("bank answered " + std::to_string(r->status));
  return StateFrom(*r);
}

}  // namespace wanderluxe
