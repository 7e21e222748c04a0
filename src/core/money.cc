#include "wanderluxe/money.h"

#include <array>
#include <limits>

namespace wanderluxe {

int CurrencyMinorDigits(std::string_view currency) {
  static constexpr std::array<std::string_view, 16> kZero = {
      "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW",
      "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF", "XOF"};
  static constexpr std::array<std::string_view, 7> kThree = {"BHD", "IQD", "JOD", "KWD",
                                                             "LYD", "OMR", "TND"};
  for (auto code : kZero) {
    if (code == currency) return 0;
  }
  for (auto code : kThree) {
    if (code == currency) return 3;
  }
  return 2;
}

Result<int64_t> ParseDecimalAmount(std::string_view text, int minor_digits) {
  const size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction =
      dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  auto all_digits = [](std::string_view s) {
    for (char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (whole.empty() || !all_digits(whole) || !all_digits(fraction) ||
      (dot != std::string_view::npos && fraction.empty())) {
    return Status::InvalidArgument("'" + std::string(text) + "' is not a plain decimal number");
  }
  if (static_cast<int>(fraction.size()) > minor_digits) {
    // Trailing zeros past the currency's precision are still exact: 10.500 USD.
    if (fraction.substr(minor_digits).find_first_not_of('0') != std::string_view::npos) {
      return Status::InvalidArgument("has more than " + std::to_string(minor_digits) +
                                     " decimal places for this currency");
    }
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t value = 0;
  auto push_digit = [&](char c) {
    if (value > (kMax - (c - '0')) / 10) return false;
    value = value * 10 + (c - '0');
    return true;
  };
  for (char c : whole) {
    if (!push_digit(c)) return Status::InvalidArgument("is too large");
  }
  for (int i = 0; i < minor_digits; ++i) {
    const char c = i < static_cast<int>(fraction.size()) ? fraction[i] : '0';
    if (!push_digit(c)) return Status::InvalidArgument("is too large");
  }
  return value;
}

std::string FormatDecimalAmount(int64_t minor_units, int minor_digits) {
  const bool negative = minor_units < 0;
  // Work in unsigned so that the most negative value does not overflow.
  uint64_t magnitude =
      negative ? 0 - static_cast<uint64_t>(minor_units) : static_cast<uint64_t>(minor_units);
  std::string digits = std::to_string(magnitude);
  if (minor_digits > 0) {
    if (static_cast<int>(digits.size()) <= minor_digits) {
      digits.insert(0, static_cast<size_t>(minor_digits) + 1 - digits.size(), '0');
    }
    digits.insert(digits.size() - static_cast<size_t>(minor_digits), ".");
  }
  return negative ? "-" + digits : digits;
}

}  // namespace wanderluxe
