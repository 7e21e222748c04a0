// Readings of booking fields written here independently of the validator and
// decoder the fuzz targets check (docs/contract.md "HTTP APIs"), so that an oracle does
// not share a bug with the code it judges.
#ifndef WANDERLUXE_FUZZ_BOOKING_ORACLES_H_
#define WANDERLUXE_FUZZ_BOOKING_ORACLES_H_

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace wanderluxe::fuzz {

// [A-Za-z0-9._:-]{1,64}
inline bool IsGoodId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool alnum = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && c != '.' && c != '_' && c != ':' && c != '-') return false;
  }
  return true;
}

// ISO 4217 alpha-3 in form: three capital letters.
inline bool IsCurrencyCode(const std::string& code) {
  return code.size() == 3 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// YYYY-MM-DD naming a day of the calendar.
inline bool IsCalendarDate(const std::string& s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 5, 6, 8, 9}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  const std::chrono::year_month_day day{std::chrono::year(std::stoi(s.substr(0, 4))),
                                        std::chrono::month(std::stoul(s.substr(5, 2))),
                                        std::chrono::day(std::stoul(s.substr(8, 2)))};
  return day.ok();
}

// The JSON number `amount` is minor / 10^digits: exactly for a JSON integer,
// to a double's precision for a number with a fraction or an exponent.
inline bool AmountMatches(const nlohmann::json& amount, int64_t minor, int digits) {
  int64_t scale = 1;
  for (int i = 0; i < digits; ++i) scale *= 10;
  if (amount.is_number_unsigned()) {
    const uint64_t whole = amount.get<uint64_t>();
    return whole <= static_cast<uint64_t>(INT64_MAX / scale) &&
           static_cast<int64_t>(whole) * scale == minor;
  }
  if (!amount.is_number_float()) return false;  // a negative integer is never an amount
  const double written = amount.get<double>() * static_cast<double>(scale);
  return std::fabs(written - static_cast<double>(minor)) <=
         1e-9 * std::max(1.0, static_cast<double>(minor));
}

}  // namespace wanderluxe::fuzz

#endif  // WANDERLUXE_FUZZ_BOOKING_ORACLES_H_
