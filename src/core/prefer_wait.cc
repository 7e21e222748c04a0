#include "wanderluxe/prefer_wait.h"

#include <strings.h>

#include <string>

namespace wanderluxe {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// delta-seconds (1*DIGIT), optionally quoted; nullopt for anything else. Digits
// past `cap` stop counting, so no length overflows.
std::optional<int64_t> DeltaSeconds(std::string_view value, int64_t cap) {
  if (value.size() >= 2 && value.front() == '"' && value.back() == '"') {
    value = value.substr(1, value.size() - 2);
  }
  if (value.empty()) return std::nullopt;
  int64_t seconds = 0;
  for (char c : value) {
    if (c < '0' || c > '9') return std::nullopt;
    if (seconds <= cap) seconds = seconds * 10 + (c - '0');
  }
  return seconds > cap ? cap : seconds;
}

}  // namespace

std::optional<int64_t> PreferredWaitSeconds(const std::vector<std::string_view>& prefer_headers,
                                            int64_t cap) {
  for (std::string_view header : prefer_headers) {
    while (!header.empty()) {
      const size_t comma = header.find(',');
      std::string_view preference = header.substr(0, comma);
      header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
      preference = Trim(preference.substr(0, preference.find(';')));  // parameters do not matter
      const size_t eq = preference.find('=');
      const std::string_view name = Trim(preference.substr(0, eq));
      if (name.size() != 4 || strncasecmp(name.data(), "wait", 4) != 0) continue;
      // The first instance of a preference is the one considered (RFC 7240 §2).
      if (eq == std::string_view::npos) return std::nullopt;
      return DeltaSeconds(Trim(preference.substr(eq + 1)), cap);
    }
  }
  return std::nullopt;
}

}  // namespace wanderluxe
