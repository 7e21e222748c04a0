// Money is exact: an integer count of the currency's minor units, never a
// binary floating-point number. Decimal text is parsed and printed digit by digit.
//
// Thread safety: plain values and pure functions; any thread.
#ifndef WANDERLUXE_MONEY_H_
#define WANDERLUXE_MONEY_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "wanderluxe/status.h"

namespace wanderluxe {

struct Money {
  int64_t minor_units = 0;  // 5000.00 USD is 500000
  std::string currency;     // ISO 4217 alpha-3

  bool operator==(const Money&) const = default;
};

// ISO 4217 minor-unit digits: 0 for JPY/KRW/..., 3 for KWD/BHD/..., else 2.
int CurrencyMinorDigits(std::string_view currency);

// Parses a decimal as JSON writes a number, without the sign ("5000",
// "5000.5", "5000.00", "5e3", "5.0E+3", "500000e-2"), into minor units,
// digit by digit. Rejects signs, leading dots, exponents beyond +-308, more
// fractional digits than the currency has once the exponent is applied
// (trailing zeros are exact: "10.500" USD), and values that overflow.
Result<int64_t> ParseDecimalAmount(std::string_view text, int minor_digits);

// The canonical decimal text with exactly `minor_digits` fractional digits.
std::string FormatDecimalAmount(int64_t minor_units, int minor_digits);

}  // namespace wanderluxe

#endif  // WANDERLUXE_MONEY_H_
