#include "wanderluxe/money.h"

#include <algorithm>
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

namespace {

// The largest power of ten a binary64 double prints (1.7976931348623157e308):
// any amount a client's JSON library writes is read, and no larger exponent
// is ever worked on, so "1e999999" costs no more than "1e2".
constexpr int kMaxDecimalExponent = 308;

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// A decimal written as JSON writes numbers, without the sign: the value is
// (whole digits, then fraction digits) x 10^(exponent - fraction length).
struct DecimalText {
  std::string_view whole;
  std::string_view fraction;
  int exponent = 0;
};

Status NotADecimal(std::string_view text) {
  return Status::InvalidArgument("'" + std::string(text) + "' is not a decimal number");
}

Result<DecimalText> SplitDecimal(std::string_view text) {
  DecimalText d;
  const size_t e = text.find_first_of("eE");
  const std::string_view significand = text.substr(0, e);
  const size_t dot = significand.find('.');
  d.whole = significand.substr(0, dot);
  if (dot != std::string_view::npos) d.fraction = significand.substr(dot + 1);
  if (d.whole.empty() || !AllDigits(d.whole) || !AllDigits(d.fraction) ||
      (dot != std::string_view::npos && d.fraction.empty())) {
    return NotADecimal(text);
  }
  if (e == std::string_view::npos) return d;
  std::string_view exponent = text.substr(e + 1);
  const bool negative = !exponent.empty() && exponent[0] == '-';
  if (!exponent.empty() && (exponent[0] == '-' || exponent[0] == '+')) exponent.remove_prefix(1);
  if (exponent.empty() || !AllDigits(exponent)) return NotADecimal(text);
  exponent.remove_prefix(std::min(exponent.find_first_not_of('0'), exponent.size()));
  for (char c : exponent) {
    d.exponent = d.exponent * 10 + (c - '0');
    if (d.exponent > kMaxDecimalExponent) {
      return Status::InvalidArgument("has an exponent beyond " +
                                     std::to_string(kMaxDecimalExponent) + " either way");
    }
  }
  if (negative) d.exponent = -d.exponent;
  return d;
}

}  // namespace

Result<int64_t> ParseDecimalAmount(std::string_view text, int minor_digits) {
  auto decimal = SplitDecimal(text);
  if (!decimal.ok()) return decimal.status();
  const std::string digits = std::string(decimal->whole) + std::string(decimal->fraction);
  // In minor units the value is digits x 10^shift.
  int64_t shift =
      int64_t{decimal->exponent} - static_cast<int64_t>(decimal->fraction.size()) + minor_digits;
  size_t kept = digits.size();
  if (shift < 0) {
    // Digits below the currency's precision must all be zeros: 10.500 USD, 1250e-3 USD.
    const size_t dropped = std::min(static_cast<size_t>(-shift), digits.size());
    if (digits.find_first_not_of('0', digits.size() - dropped) != std::string::npos) {
      return Status::InvalidArgument("has more than " + std::to_string(minor_digits) +
                                     " decimal places for this currency");
    }
    kept = digits.size() - dropped;
    shift = 0;
  }
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t value = 0;
  auto push_digit = [&](char c) {
    if (value > (kMax - (c - '0')) / 10) return false;
    value = value * 10 + (c - '0');
    return true;
  };
  for (size_t i = 0; i < kept; ++i) {
    if (!push_digit(digits[i])) return Status::InvalidArgument("is too large");
  }
  // At most 19 rounds before a non-zero value overflows; zero stays zero.
  for (int64_t i = 0; i < shift && value != 0; ++i) {
    if (!push_digit('0')) return Status::InvalidArgument("is too large");
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
