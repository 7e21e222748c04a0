// What `loadtest --report` draws: a herd's records reduced to a bounded
// summary (time buckets, stock samples, latency histograms), whatever the
// number of requests. Built by the loadtest, rendered by RenderHerdReport.
#ifndef WANDERLUXE_ROLES_LOADTEST_HERD_REPORT_H_
#define WANDERLUXE_ROLES_LOADTEST_HERD_REPORT_H_

#include <array>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "roles/loadtest/herd.h"

namespace wanderluxe {

// The timeline's bucket: 100 ms, widened (kTimelineWidthsMs) only when a long
// run would need more than kMaxTimelineBuckets, so the page stays small.
inline constexpr int64_t kTimelineBucketMs = 100;
inline constexpr int64_t kMaxTimelineBuckets = 1500;
inline constexpr std::array<int64_t, 8> kTimelineWidthsMs = {100,   200,   500,    1'000,
                                                             2'000, 5'000, 10'000, 60'000};

// Upper edges (ms) of the latency histograms' bins; the last bin is open.
// From a local gateway's milliseconds to a slow drain's minutes.
inline constexpr std::array<double, 17> kLatencyBinEdgesMs = {
    2,     5,     10,     20,     50,     100,     200,     500,    1'000,
    2'000, 5'000, 10'000, 30'000, 60'000, 120'000, 300'000, 600'000};

// The terminal statuses the outcome chart always lists, in this order; any
// other status a run reaches follows them.
inline constexpr std::array<const char*, 4> kOutcomeStatuses = {"CONFIRMED", "SOLD_OUT",
                                                                "FAILED_PAYMENT", "REJECTED"};

// One slice of the run, measured from the first request.
struct TimelineBucket {
  int64_t sent = 0;
  std::map<int, int64_t> answers;           // HTTP status (0 = no answer) -> answered here
  std::map<std::string, int64_t> outcomes;  // terminal status -> bookings reaching it here
};

struct Timeline {
  int64_t bucket_ms = kTimelineBucketMs;
  std::vector<TimelineBucket> buckets;

  // Bucket width for a run of `duration_ms`: the narrowest that fits.
  static int64_t WidthFor(double duration_ms);
  // The bucket holding `at_ms` (clamped to the run), grown on demand.
  TimelineBucket& At(double at_ms);
};

// The gateway's inventory endpoint, read during the run.
struct StockSample {
  double at_ms = 0;  // from the first request
  int64_t available = 0;
  int64_t held = 0;
  int64_t sold = 0;
};

struct LatencySummary {
  int64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0, max = 0;
  // bins[i] counts values <= kLatencyBinEdgesMs[i] (and above the edge
  // before); the last element counts the values above every edge.
  std::array<int64_t, kLatencyBinEdgesMs.size() + 1> bins{};

  // From ascending `sorted_ms`.
  static LatencySummary Of(const std::vector<double>& sorted_ms);
};

struct InvariantRow {
  std::string id;       // "I1"
  std::string name;     // "no oversell"
  std::string verdict;  // PASS, FAIL, SKIP
  std::vector<std::string> details;
};

struct HerdReport {
  std::string property;
  std::vector<std::pair<std::string, std::string>> parameters;  // name, value, in order

  // The same figures `loadtest --json` prints.
  int64_t requests = 0;
  int64_t duplicates_sent = 0;
  int64_t accepted = 0;
  double herd_seconds = 0;
  double drain_seconds = 0;
  std::map<int, int64_t> http_statuses;
  std::map<std::string, int64_t> outcomes;
  LatencySummary all_latency;         // every request
  LatencySummary accepted_latency;    // the 202 answers
  LatencySummary accept_to_terminal;  // 202 answer -> terminal outcome, per booking
  // The waitlist: bookings announced WAITLISTED, how many of them got a room
  // (CONFIRMED), and how long each waited (WAITLISTED -> its terminal outcome).
  int64_t waited = 0;
  int64_t waited_confirmed = 0;
  LatencySummary waitlist_wait;
  std::vector<InvariantRow> invariants;
  bool pass = false;

  Timeline timeline;
  std::optional<int64_t> total_units;  // seeded, when the store knows it
  std::vector<StockSample> stock;      // at most one per timeline bucket
};

// A booking reaching its terminal status, ms from the first request.
struct OutcomeAt {
  double at_ms = 0;
  std::string status;
};

// Every request's send and answer and every outcome, in buckets as narrow as
// the run's length allows (Timeline::WidthFor).
Timeline BuildTimeline(const std::vector<RequestRecord>& requests,
                       const std::vector<OutcomeAt>& outcomes);

// At most one sample per `bucket_ms` (the last), so a long run stays small.
std::vector<StockSample> ThinStock(const std::vector<StockSample>& samples, int64_t bucket_ms);

// What `loadtest --json` prints: the figures the page shows, under the paths
// its data-json attributes name.
nlohmann::json HerdReportJson(const HerdReport& report);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_LOADTEST_HERD_REPORT_H_
