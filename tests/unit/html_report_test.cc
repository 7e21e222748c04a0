// `loadtest --report` (issue 16): the page is well-formed and self-contained,
// shows the figures `--json` prints, names every series in text, and stays
// small however many requests the herd sent.
#include "roles/loadtest/html_report.h"

#include <doctest/doctest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "roles/loadtest/herd_report.h"
#include "support/report_figures.h"

namespace wanderluxe {
namespace {

using testing::LookupFigure;
using testing::PageFigures;
using testing::SameFigure;

constexpr size_t kMaxPageBytes = 2 * 1024 * 1024;  // the issue's bound for 100,000 requests

// A herd of `requests` spread evenly over `duration_ms`, five units sold.
HerdReport SyntheticReport(int64_t requests, double duration_ms, std::string property = "prop-x") {
  HerdReport r;
  r.property = std::move(property);
  r.parameters = {{"requests", std::to_string(requests)}, {"connections", "500"}};
  r.requests = requests;
  r.duplicates_sent = requests / 10;
  std::vector<RequestRecord> records;
  std::vector<double> latencies, accepted_latencies;
  const int statuses[] = {202, 202, 409, 503, 0, 500};
  for (int64_t i = 0; i < requests; ++i) {
    const float sent =
        static_cast<float>(duration_ms * static_cast<double>(i) / static_cast<double>(requests));
    const float latency = static_cast<float>(1 + i % 700);
    const int status = statuses[i % 6];
    records.push_back({sent, sent + latency, status});
    ++r.http_statuses[status];
    latencies.push_back(latency);
    if (status == 202) accepted_latencies.push_back(latency);
  }
  r.accepted = r.http_statuses[202];
  std::vector<OutcomeAt> outcomes;
  std::vector<double> to_terminal;
  for (int64_t i = 0; i < r.accepted; ++i) {
    const std::string status = i < 5 ? "CONFIRMED" : "SOLD_OUT";
    outcomes.push_back(
        {duration_ms * static_cast<double>(i) / static_cast<double>(r.accepted) + 250, status});
    ++r.outcomes[status];
    to_terminal.push_back(static_cast<double>(200 + i % 300));
  }
  r.outcomes["FAILED_PAYMENT"] = 0;
  r.outcomes["REJECTED"] = 0;
  std::sort(latencies.begin(), latencies.end());
  std::sort(accepted_latencies.begin(), accepted_latencies.end());
  std::sort(to_terminal.begin(), to_terminal.end());
  r.all_latency = LatencySummary::Of(latencies);
  r.accepted_latency = LatencySummary::Of(accepted_latencies);
  r.accept_to_terminal = LatencySummary::Of(to_terminal);
  r.herd_seconds = duration_ms / 1000;
  r.drain_seconds = 0.75;
  r.timeline = BuildTimeline(records, outcomes);
  std::vector<StockSample> stock;
  for (double at = 0; at <= duration_ms + 300; at += 100) {
    const int64_t sold = std::min<int64_t>(5, static_cast<int64_t>(at / 100));
    stock.push_back({at, 5 - sold, 0, sold});
  }
  r.stock = ThinStock(stock, r.timeline.bucket_ms);
  r.total_units = 5;
  for (int i = 1; i <= 6; ++i) {
    r.invariants.push_back({"I" + std::to_string(i), "invariant " + std::to_string(i), "PASS", {}});
  }
  r.invariants[2] = {"I3", "exactly-once charge", "SKIP", {"no bank <to ask> & so skipped"}};
  r.pass = true;
  return r;
}

// Every element closed in order; void HTML elements and self-closed SVG ones excepted.
std::string Unbalanced(const std::string& page) {
  std::vector<std::string> open;
  size_t at = 0;
  while ((at = page.find('<', at)) != std::string::npos) {
    const size_t close = page.find('>', at);
    if (close == std::string::npos) return "unterminated tag";
    std::string tag = page.substr(at + 1, close - at - 1);
    at = close + 1;
    if (tag.rfind("!DOCTYPE", 0) == 0 || tag.back() == '/') continue;
    const bool closing = tag[0] == '/';
    std::string name = tag.substr(closing ? 1 : 0, tag.find_first_of(" \n", 0) - (closing ? 1 : 0));
    if (name == "meta" || name == "link" || name == "br") continue;
    if (!closing) {
      open.push_back(name);
    } else if (open.empty() || open.back() != name) {
      return "</" + name + "> closes <" + (open.empty() ? "nothing" : open.back()) + ">";
    } else {
      open.pop_back();
    }
  }
  return open.empty() ? "" : "<" + open.back() + "> never closed";
}

TEST_SUITE("unit.html_report") {
  TEST_CASE("every figure on the page equals the --json figure under the same path") {
    const HerdReport report = SyntheticReport(3000, 4000);
    const nlohmann::json json = HerdReportJson(report);
    const auto figures = PageFigures(RenderHerdReport(report));
    for (const auto& figure : figures) {  // no structured binding: INFO captures it
      const nlohmann::json* value = LookupFigure(json, figure.first);
      INFO("data-json=" << figure.first << " shows " << figure.second);
      REQUIRE(value != nullptr);
      CHECK(SameFigure(*value, figure.second));
    }
    // The totals a reader compares: all of them are on the page.
    for (std::string path : {"requests", "acceptedBookings", "duplicatesSent", "pass",
                             "latencyMs.p99", "acceptedLatencyMs.p50", "acceptToTerminalMs.max"}) {
      CHECK_MESSAGE(figures.count(path) == 1, path);
    }
    for (const auto& item : json["httpStatuses"].items()) {
      const std::string path = "httpStatuses." + item.key();
      CHECK_MESSAGE(figures.count(path) == 1, path);
    }
    for (const auto& item : json["outcomes"].items()) {
      const std::string path = "outcomes." + item.key();
      CHECK_MESSAGE(figures.count(path) == 1, path);
    }
    for (size_t i = 0; i < report.invariants.size(); ++i) {
      CHECK(figures.count("invariants." + std::to_string(i) + ".verdict") == 1);
    }
  }

  TEST_CASE("a figure that differs from the JSON is caught") {
    CHECK(SameFigure(nlohmann::json(300), "300"));
    CHECK_FALSE(SameFigure(nlohmann::json(301), "300"));
    CHECK(SameFigure(nlohmann::json(58.25), "58.3"));
    CHECK_FALSE(SameFigure(nlohmann::json(58.4), "58.3"));
    CHECK(SameFigure(nlohmann::json(true), "PASS"));
    CHECK_FALSE(SameFigure(nlohmann::json(true), "FAIL"));
    CHECK_FALSE(SameFigure(nlohmann::json(5), "5 units"));
    const nlohmann::json doc = {{"invariants", {{{"verdict", "PASS"}}}}};
    REQUIRE(LookupFigure(doc, "invariants.0.verdict") != nullptr);
    CHECK(LookupFigure(doc, "invariants.1.verdict") == nullptr);
    CHECK(LookupFigure(doc, "outcomes.CONFIRMED") == nullptr);
  }

  TEST_CASE("the timeline's buckets add up to the run's totals") {
    const HerdReport report = SyntheticReport(3000, 4000);
    CHECK(report.timeline.bucket_ms == kTimelineBucketMs);
    int64_t sent = 0;
    std::map<int, int64_t> answers;
    std::map<std::string, int64_t> outcomes;
    for (const TimelineBucket& b : report.timeline.buckets) {
      sent += b.sent;
      for (const auto& [s, n] : b.answers) answers[s] += n;
      for (const auto& [s, n] : b.outcomes) outcomes[s] += n;
    }
    CHECK(sent == report.requests);
    CHECK(answers == report.http_statuses);
    CHECK(outcomes["CONFIRMED"] == 5);
    CHECK(outcomes["SOLD_OUT"] == report.outcomes.at("SOLD_OUT"));
  }

  TEST_CASE("the page is well-formed and every string in it is escaped") {
    HerdReport report = SyntheticReport(500, 1000, R"(<script>alert("x")</script>&')");
    report.parameters.push_back({"<b>name</b>", "a \"quoted\" & <tagged> value"});
    const std::string page = RenderHerdReport(report);
    CHECK(Unbalanced(page) == "");
    CHECK(page.find("<script") == std::string::npos);
    CHECK(page.find("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;") !=
          std::string::npos);
    CHECK(page.find("no bank &lt;to ask&gt; &amp; so skipped") != std::string::npos);
    CHECK(HtmlEscape(R"(<a href="x">'&'</a>)") ==
          "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  }

  TEST_CASE("self-contained: nothing is fetched, nothing runs") {
    const std::string page = RenderHerdReport(SyntheticReport(500, 1000));
    CHECK(page.find("http://") == std::string::npos);
    CHECK(page.find("https://") == std::string::npos);
    CHECK(page.find("src=") == std::string::npos);
    CHECK(page.find("<script") == std::string::npos);
    CHECK(page.find("@import") == std::string::npos);
  }

  TEST_CASE("readable without colour and at phone width") {
    const std::string page = RenderHerdReport(SyntheticReport(3000, 4000));
    CHECK(page.find(R"(<meta name="viewport" content="width=device-width, initial-scale=1">)") !=
          std::string::npos);
    static const std::regex svg(R"re(<svg id="[^"]+" viewBox="0 0 \d+ \d+" width="100%")re");
    CHECK(std::distance(std::sregex_iterator(page.begin(), page.end(), svg),
                        std::sregex_iterator()) == 5);  // 2 timelines, stock, 2 histograms
    // Every series is named in text in a legend, beside a swatch of its dash pattern.
    for (std::string name :
         {"requests sent", "answers 202 accepted", "answers 409 in flight",
          "answers 503 unavailable", "answers: errors", "CONFIRMED", "SOLD_OUT", "FAILED_PAYMENT",
          "REJECTED", "available", "held", "sold", "total 5",
          "Lowest available seen: <strong>0</strong>", "sold out: sold equals total"}) {
      CHECK_MESSAGE(page.find(name) != std::string::npos, name);
    }
    static const std::regex dashes(R"re(stroke-dasharray="([^"]*)")re");
    std::set<std::string> patterns;
    for (std::sregex_iterator it(page.begin(), page.end(), dashes), end; it != end; ++it) {
      patterns.insert((*it)[1]);
    }
    CHECK(patterns.size() >= 6);  // series differ by pattern, not by hue alone
  }

  TEST_CASE("an outcome status beyond the usual four is drawn and named too") {
    HerdReport report = SyntheticReport(500, 1000);
    report.outcomes["WAITLISTED"] = 2;
    report.timeline.At(300).outcomes["WAITLISTED"] = 2;
    const std::string page = RenderHerdReport(report);
    CHECK(page.find("WAITLISTED (2 in all)</li>") != std::string::npos);
    CHECK(page.find("<title>WAITLISTED</title>") != std::string::npos);  // its polyline
    CHECK(page.find("FAILED_PAYMENT (0 in all) (none: not drawn)") != std::string::npos);
  }

  TEST_CASE("a 100,000-request herd's page stays under 2 MiB") {
    const std::string page = RenderHerdReport(SyntheticReport(100'000, 60'000));
    MESSAGE("page of a 60 s, 100,000-request herd: " << page.size() << " bytes");
    CHECK(page.size() < kMaxPageBytes);
    // An hour-long run widens the buckets instead of growing the page.
    const HerdReport long_run = SyntheticReport(100'000, 3'600'000);
    CHECK(long_run.timeline.bucket_ms > kTimelineBucketMs);
    CHECK(static_cast<int64_t>(long_run.timeline.buckets.size()) <= kMaxTimelineBuckets);
    const std::string long_page = RenderHerdReport(long_run);
    MESSAGE("page of a one-hour, 100,000-request herd: " << long_page.size() << " bytes");
    CHECK(long_page.size() < kMaxPageBytes);
  }

  TEST_CASE("latency summary: bins count every value, percentiles from the sorted values") {
    std::vector<double> values;
    for (int i = 1; i <= 1000; ++i) values.push_back(i);
    const LatencySummary s = LatencySummary::Of(values);
    int64_t binned = 0;
    for (int64_t n : s.bins) binned += n;
    CHECK(binned == 1000);
    CHECK(s.bins[0] == 2);      // <= 2 ms
    CHECK(s.bins[8] == 500);    // (500, 1000]
    CHECK(s.bins.back() == 0);  // above 10 minutes
    CHECK(s.p50 == 500);
    CHECK(s.p99 == 990);
    CHECK(s.max == 1000);
    CHECK(Timeline::WidthFor(10'000) == 100);
    CHECK(Timeline::WidthFor(3'600'000) == 5'000);
  }
}

}  // namespace
}  // namespace wanderluxe
