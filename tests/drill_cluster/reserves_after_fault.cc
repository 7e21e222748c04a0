#include "drill_cluster/reserves_after_fault.h"

#include <doctest/doctest.h>

#include <algorithm>
#include <ctime>
#include <optional>

namespace wanderluxe::testing {
namespace {

// Unix milliseconds of an RFC 3339 UTC time with milliseconds (the ledger's
// form, 2025-12-16T10:00:00.123Z); nothing when it is not of that form.
std::optional<int64_t> UnixMillisOf(const std::string& timestamp) {
  std::tm tm{};
  const char* rest = strptime(timestamp.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == nullptr || *rest != '.') return std::nullopt;
  const int64_t ms = std::strtoll(rest + 1, nullptr, 10);
  return static_cast<int64_t>(timegm(&tm)) * 1000 + ms;
}

// Every RESERVED entry of the property's bookings, in seconds from the
// fault, in order.
std::vector<double> ReservedFromFault(DrillEnv& env, const std::string& property,
                                      int64_t fault_ms) {
  std::vector<std::string> ids;
  for (BookingStatus status : {BookingStatus::kConfirmed, BookingStatus::kFailedPayment}) {
    auto of_status = env.ledger().IdsWithStatus(property, status);
    REQUIRE_MESSAGE(of_status.ok(), of_status.status().ToString());
    ids.insert(ids.end(), of_status->begin(), of_status->end());
  }
  auto records = env.ledger().GetMany(ids);
  REQUIRE_MESSAGE(records.ok(), records.status().ToString());
  std::vector<double> out;
  for (const auto& [id, record] : *records) {
    for (const LedgerEntry& entry : record.audit_log) {
      const std::optional<int64_t> at = UnixMillisOf(entry.timestamp);
      if (entry.action == "RESERVED" && at)
        out.push_back(static_cast<double>(*at - fault_ms) / 1000);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The longest pause between two reserves that ends after the fault began:
// a reserve whose Redis call came before the fault may reach the ledger
// just after it, so the first reserve after the fault need not be the one
// that resumed. Both ends in seconds from the fault.
struct Pause {
  double from_s = 0;
  double to_s = 0;
};

std::optional<Pause> LongestPauseAfter(const std::vector<double>& reserved) {
  std::optional<Pause> longest;
  for (size_t i = 1; i < reserved.size(); ++i) {
    if (reserved[i] < 0) continue;
    if (!longest || reserved[i] - reserved[i - 1] > longest->to_s - longest->from_s) {
      longest = Pause{reserved[i - 1], reserved[i]};
    }
  }
  return longest;
}

}  // namespace

bool ReservesResumed(DrillEnv& env, const std::vector<std::string>& properties,
                     const FaultSpan& fault) {
  bool resumed = true;
  for (size_t i = 0; i < properties.size(); ++i) {
    const std::vector<double> reserved = ReservedFromFault(env, properties[i], fault.began_unix_ms);
    const auto first_after = std::lower_bound(reserved.begin(), reserved.end(), 0.0);
    const std::optional<Pause> pause = LongestPauseAfter(reserved);
    MESSAGE(properties[i], std::string(i == 0 ? " (the fault's master)" : ""), ": ",
            reserved.size(), " reserves; the first after the fault at ",
            first_after == reserved.end() ? std::string("none") : std::to_string(*first_after),
            " s; the longest pause from ", pause ? pause->from_s : 0, " s to ",
            pause ? pause->to_s : 0, " s after the fault: reserves succeed again ",
            pause ? pause->to_s : 0, " s after it");
    if (i == 0) {
      CHECK_MESSAGE(first_after != reserved.end(), properties[i],
                    " took no reserve after the fault (sold out before it?)");
      resumed = first_after != reserved.end();
    }
  }
  return resumed;
}

}  // namespace wanderluxe::testing
