#include <map>
#include <vector>

#include "roles/gateway/openapi_document.h"
#include "wanderluxe/money.h"

namespace wanderluxe {
namespace {

// The branches between these two lines are what OpenApiDocumentFor renders.
constexpr std::string_view kBlockStart = "written here with their defaults.\n      oneOf:\n";
constexpr std::string_view kBlockEnd = "      # (end of the currencies)\n";

// One branch of BookingRequest's oneOf, as api/openapi.yaml writes it.
constexpr std::string_view kBranch[] = {
    "        - type: object\n",
    "          additionalProperties: false\n",
    "          required: [bookingId, propertyId, amount, currency]\n",
    "          properties:\n",
    "            bookingId: {$ref: '#/components/schemas/Id'}\n",
    "            propertyId: {$ref: '#/components/schemas/Id'}\n",
    "            userId: {$ref: '#/components/schemas/Id'}\n",
    "            amount: {type: number, multipleOf: @UNIT@, minimum: @UNIT@, maximum: @MAX@}\n",
    "            currency: {type: string, enum: [@CURRENCIES@]}\n",
    "            checkInDate: {type: string, format: date}\n",
    "            checkOutDate: {type: string, format: date}\n",
    "          anyOf:\n",
    "            - required: [checkInDate, checkOutDate]\n",
    "            - not: {anyOf: [{required: [checkInDate]}, {required: [checkOutDate]}]}\n",
};

// 10^-digits as a decimal: "1", "0.1", "0.01", ...
std::string MinorUnit(int digits) {
  if (digits == 0) return "1";
  return "0." + std::string(static_cast<size_t>(digits - 1), '0') + "1";
}

void ReplaceAll(std::string& text, std::string_view from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
}

std::string Branch(const std::vector<std::string>& currencies, int digits, int64_t max_minor) {
  std::string names;
  for (const std::string& currency : currencies) names += (names.empty() ? "" : ", ") + currency;
  std::string branch;
  for (std::string_view line : kBranch) branch += line;
  ReplaceAll(branch, "@UNIT@", MinorUnit(digits));
  ReplaceAll(branch, "@MAX@", FormatDecimalAmount(max_minor, digits));
  ReplaceAll(branch, "@CURRENCIES@", names);
  return branch;
}

}  // namespace

Result<std::string> OpenApiDocumentFor(const GatewayConfig& gateway) {
  const std::string document(OpenApiDocument());
  const size_t start = document.find(kBlockStart);
  const size_t end = document.find(kBlockEnd);
  if (start == std::string::npos || end == std::string::npos || end < start) {
    return Status::Internal("api/openapi.yaml has lost its currencies block");
  }
  // Currencies by minor digits, each group in the configured order; the
  // groups as the defaults are written: 2 digits first, then the others.
  std::map<int, std::vector<std::string>> by_digits;
  for (const std::string& currency : gateway.currencies) {
    by_digits[CurrencyMinorDigits(currency)].push_back(currency);
  }
  std::vector<int> order;
  if (by_digits.count(2)) order.push_back(2);
  for (const auto& [digits, unused] : by_digits) {
    if (digits != 2) order.push_back(digits);
  }
  std::string block;
  for (int digits : order) block += Branch(by_digits[digits], digits, gateway.max_amount_minor);
  const size_t body = start + kBlockStart.size();
  return document.substr(0, body) + block + document.substr(end);
}

}  // namespace wanderluxe
