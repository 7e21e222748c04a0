#include "roles/loadtest/html_report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace wanderluxe {
namespace {

// Chart geometry, in viewBox units; the SVG scales to the page's width.
constexpr double kChartWidth = 720;
constexpr double kChartHeight = 300;
constexpr double kPlotLeft = 60;
constexpr double kPlotRight = 710;
constexpr double kPlotTop = 14;
constexpr double kPlotBottom = 262;
constexpr double kMaxYSteps = 5;  // grid lines above zero, at most

// A series is told apart by its name in the legend and by its dash pattern,
// never by hue alone (the page reads in greyscale).
struct SeriesStyle {
  const char* colour;
  const char* dash;  // stroke-dasharray; "" for a solid line
};
constexpr SeriesStyle kStyles[] = {
    {"#1f4e79", ""},    {"#2e7d32", "8 4"}, {"#c62828", "2 3"},     {"#6a1b9a", "12 4 2 4"},
    {"#e65100", "1 6"}, {"#455a64", "6 2"}, {"#00838f", "4 4 1 4"}, {"#8d6e63", "14 3"},
};

struct Series {
  std::string name;
  std::vector<std::pair<double, double>> points;  // (x ms, y)
  int64_t total = 0;                              // shown in the legend
  bool has_total = true;
};

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%.*f", decimals, value);
  return buffer;
}

std::string Int(int64_t value) { return std::to_string(value); }

// The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1).
double NiceCeiling(double value) {
  if (value <= 1) return 1;
  const double power = std::pow(10.0, std::floor(std::log10(value)));
  for (double step : {1.0, 2.0, 5.0, 10.0}) {
    if (step * power >= value) return step * power;
  }
  return 10 * power;
}

// The y axis's grid step for a top of `value`: a whole 1-2-5 number.
double YStep(double value) { return NiceCeiling(value / kMaxYSteps); }

// The y axis's top: the first grid line at or above `value`, and above zero.
double AxisTop(double value) {
  const double step = YStep(value);
  return std::max(step, std::ceil(value / step) * step);
}

std::string HttpStatusName(int status) {
  switch (status) {
    case 0:
      return "no answer";
    case 202:
      return "202 accepted";
    case 409:
      return "409 in flight";
    case 422:
      return "422 key reused";
    case 503:
      return "503 unavailable";
    default:
      return std::to_string(status);
  }
}

std::string Cell(const std::string& json_path, const std::string& text) {
  return "<td data-json=\"" + HtmlEscape(json_path) + "\">" + HtmlEscape(text) + "</td>";
}

std::string Swatch(const SeriesStyle& style) {
  return std::string("<svg class=\"swatch\" viewBox=\"0 0 36 10\" aria-hidden=\"true\">") +
         "<line x1=\"0\" y1=\"5\" x2=\"36\" y2=\"5\" stroke=\"" + style.colour +
         "\" stroke-width=\"3\" stroke-dasharray=\"" + style.dash + "\"/></svg>";
}

// Axes with labelled ticks: x in seconds from the first request, y in counts.
std::string Axes(double x_max_ms, double y_max, const std::string& y_label) {
  std::string svg;
  const double y_step = YStep(y_max);
  for (double value = 0; value <= y_max + 1e-9; value += y_step) {
    const double y = kPlotBottom - (kPlotBottom - kPlotTop) * value / y_max;
    svg += "<line class=\"grid\" x1=\"" + Fixed(kPlotLeft, 0) + "\" y1=\"" + Fixed(y, 1) +
           "\" x2=\"" + Fixed(kPlotRight, 0) + "\" y2=\"" + Fixed(y, 1) + "\"/>";
    svg += "<text x=\"" + Fixed(kPlotLeft - 6, 0) + "\" y=\"" + Fixed(y + 4, 1) +
           "\" text-anchor=\"end\">" + Fixed(value, 0) + "</text>";
  }
  const double x_step = NiceCeiling(x_max_ms / 8);
  for (double x = 0; x <= x_max_ms + 1e-9; x += x_step) {
    const double px = kPlotLeft + (kPlotRight - kPlotLeft) * x / x_max_ms;
    svg += "<text x=\"" + Fixed(px, 1) + "\" y=\"" + Fixed(kPlotBottom + 16, 0) +
           "\" text-anchor=\"middle\">" + Fixed(x / 1000, x_step < 1000 ? 1 : 0) + "</text>";
  }
  svg += "<text x=\"" + Fixed((kPlotLeft + kPlotRight) / 2, 0) + "\" y=\"" +
         Fixed(kChartHeight - 4, 0) +
         "\" text-anchor=\"middle\">seconds from the first request</text>";
  svg += "<text x=\"12\" y=\"" + Fixed((kPlotTop + kPlotBottom) / 2, 0) +
         "\" text-anchor=\"middle\" transform=\"rotate(-90 12 " +
         Fixed((kPlotTop + kPlotBottom) / 2, 0) + ")\">" + HtmlEscape(y_label) + "</text>";
  svg += "<line class=\"axis\" x1=\"" + Fixed(kPlotLeft, 0) + "\" y1=\"" + Fixed(kPlotBottom, 0) +
         "\" x2=\"" + Fixed(kPlotRight, 0) + "\" y2=\"" + Fixed(kPlotBottom, 0) + "\"/>";
  return svg;
}

std::string SvgOpen(const std::string& id, const std::string& label) {
  return "<svg id=\"" + id + "\" viewBox=\"0 0 " + Fixed(kChartWidth, 0) + " " +
         Fixed(kChartHeight, 0) +
         "\" width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" aria-label=\"" +
         HtmlEscape(label) + "\">";
}

// A figure of polylines over time with a legend naming every series, drawn
// or not (a series with nothing in it is listed, not drawn).
std::string LineChart(const std::string& id, const std::string& caption, const std::string& y_label,
                      double x_max_ms, const std::vector<Series>& series,
                      const std::string& extra_svg = "", double y_floor = 0) {
  x_max_ms = std::max(x_max_ms, 1.0);
  double y_max = y_floor;
  for (const Series& s : series) {
    for (const auto& [x, y] : s.points) y_max = std::max(y_max, y);
  }
  y_max = AxisTop(y_max);
  std::string out = "<figure>" + SvgOpen(id, caption) + Axes(x_max_ms, y_max, y_label);
  out += extra_svg;
  std::string legend = "<ul class=\"legend\">";
  for (size_t i = 0; i < series.size(); ++i) {
    const Series& s = series[i];
    const SeriesStyle& style = kStyles[i % std::size(kStyles)];
    bool drawn = false;
    for (const auto& p : s.points) drawn = drawn || p.second != 0;
    if (drawn) {
      out += "<polyline fill=\"none\" stroke=\"" + std::string(style.colour) +
             "\" stroke-width=\"2\" stroke-dasharray=\"" + style.dash + "\" points=\"";
      for (const auto& [x, y] : s.points) {
        const double px = kPlotLeft + (kPlotRight - kPlotLeft) * x / x_max_ms;
        const double py = kPlotBottom - (kPlotBottom - kPlotTop) * y / y_max;
        out += Fixed(px, 1) + "," + Fixed(py, 1) + " ";
      }
      out += "\"><title>" + HtmlEscape(s.name) + "</title></polyline>";
    }
    legend += "<li>" + Swatch(style) + HtmlEscape(s.name);
    if (s.has_total) legend += " (" + Int(s.total) + " in all)";
    if (!drawn) legend += " (none: not drawn)";
    legend += "</li>";
  }
  out += "</svg>" + legend + "</ul><figcaption>" + HtmlEscape(caption) + "</figcaption></figure>";
  return out;
}

// A duration in the unit that keeps it short: 500, 2s, 5m.
std::string ShortDuration(double ms) {
  if (ms >= 60'000) return Fixed(ms / 60'000, 0) + "m";
  if (ms >= 1'000) return Fixed(ms / 1'000, 0) + "s";
  return Fixed(ms, 0);
}

std::string BinLabel(size_t i) {
  if (i >= kLatencyBinEdgesMs.size()) return ">" + ShortDuration(kLatencyBinEdgesMs.back());
  return "≤" + ShortDuration(kLatencyBinEdgesMs[i]);
}

// Bars over the latency bins, each labelled with its count.
std::string Histogram(const std::string& id, const std::string& caption,
                      const LatencySummary& summary) {
  int64_t highest = 0;
  for (int64_t n : summary.bins) highest = std::max(highest, n);
  const double y_max = NiceCeiling(static_cast<double>(highest));
  const double slot = (kPlotRight - kPlotLeft) / static_cast<double>(summary.bins.size());
  std::string out = "<figure>" + SvgOpen(id, caption);
  out += "<line class=\"axis\" x1=\"" + Fixed(kPlotLeft, 0) + "\" y1=\"" + Fixed(kPlotBottom, 0) +
         "\" x2=\"" + Fixed(kPlotRight, 0) + "\" y2=\"" + Fixed(kPlotBottom, 0) + "\"/>";
  for (size_t i = 0; i < summary.bins.size(); ++i) {
    const double n = static_cast<double>(summary.bins[i]);
    const double height = (kPlotBottom - kPlotTop - 14) * n / y_max;
    const double x = kPlotLeft + slot * static_cast<double>(i);
    out += "<rect class=\"bar\" x=\"" + Fixed(x + 3, 1) + "\" y=\"" +
           Fixed(kPlotBottom - height, 1) + "\" width=\"" + Fixed(slot - 6, 1) + "\" height=\"" +
           Fixed(height, 1) + "\"><title>" + HtmlEscape(BinLabel(i)) + ": " + Int(summary.bins[i]) +
           "</title></rect>";
    out += "<text x=\"" + Fixed(x + slot / 2, 1) + "\" y=\"" + Fixed(kPlotBottom - height - 3, 1) +
           "\" text-anchor=\"middle\" class=\"small\">" + Int(summary.bins[i]) + "</text>";
    out += "<text x=\"" + Fixed(x + slot / 2, 1) + "\" y=\"" + Fixed(kPlotBottom + 16, 0) +
           "\" text-anchor=\"middle\" class=\"small\">" + HtmlEscape(BinLabel(i)) + "</text>";
  }
  out += "<text x=\"" + Fixed((kPlotLeft + kPlotRight) / 2, 0) + "\" y=\"" +
         Fixed(kChartHeight - 4, 0) +
         "\" text-anchor=\"middle\">each bin's upper edge: ms, or s and m where marked" +
         "</text></svg><figcaption>" + HtmlEscape(caption) + "</figcaption></figure>";
  return out;
}

double RunEndMs(const HerdReport& r) {
  double end = static_cast<double>(r.timeline.bucket_ms * r.timeline.buckets.size());
  for (const StockSample& s : r.stock) end = std::max(end, s.at_ms);
  return end;
}

double BucketX(const Timeline& t, size_t i) {
  return static_cast<double>(t.bucket_ms) * (static_cast<double>(i) + 0.5);
}

std::string RequestsChart(const HerdReport& r) {
  const Timeline& t = r.timeline;
  std::vector<Series> series;
  Series sent{"requests sent", {}, r.requests};
  for (size_t i = 0; i < t.buckets.size(); ++i) {
    sent.points.emplace_back(BucketX(t, i), static_cast<double>(t.buckets[i].sent));
  }
  series.push_back(sent);
  // 202, 409, 422, 503 each; every other status (and no answer) as errors.
  const int named[] = {202, 409, 422, 503};
  auto is_named = [&](int s) {
    return std::find(std::begin(named), std::end(named), s) != std::end(named);
  };
  for (int status : named) {
    Series s{"answers " + HttpStatusName(status), {}, 0};
    auto it = r.http_statuses.find(status);
    s.total = it == r.http_statuses.end() ? 0 : it->second;
    for (size_t i = 0; i < t.buckets.size(); ++i) {
      auto n = t.buckets[i].answers.find(status);
      s.points.emplace_back(BucketX(t, i),
                            n == t.buckets[i].answers.end() ? 0.0 : static_cast<double>(n->second));
    }
    series.push_back(s);
  }
  Series errors{"answers: errors (any other status, or no answer)", {}, 0};
  for (const auto& [status, n] : r.http_statuses) {
    if (!is_named(status)) errors.total += n;
  }
  for (size_t i = 0; i < t.buckets.size(); ++i) {
    int64_t n = 0;
    for (const auto& [status, count] : t.buckets[i].answers) {
      if (!is_named(status)) n += count;
    }
    errors.points.emplace_back(BucketX(t, i), static_cast<double>(n));
  }
  series.push_back(errors);
  return LineChart(
      "requests",
      "Requests sent and answers received per " + Int(t.bucket_ms) + " ms, by HTTP status",
      "per " + Int(t.bucket_ms) + " ms", RunEndMs(r), series);
}

std::string OutcomesChart(const HerdReport& r) {
  const Timeline& t = r.timeline;
  // The usual statuses always, in their order; then any other the run saw
  // (PARKED, WAITLISTED once it exists), so nothing reached goes unshown.
  std::vector<std::string> statuses(kOutcomeStatuses.begin(), kOutcomeStatuses.end());
  auto add = [&](const std::string& status) {
    if (std::find(statuses.begin(), statuses.end(), status) == statuses.end()) {
      statuses.push_back(status);
    }
  };
  for (const auto& [status, n] : r.outcomes) add(status);
  for (const TimelineBucket& b : t.buckets) {
    for (const auto& [status, n] : b.outcomes) add(status);
  }
  std::vector<Series> series;
  for (const std::string& status : statuses) {
    auto total = r.outcomes.find(status);
    Series s{status, {}, total == r.outcomes.end() ? 0 : total->second};
    for (size_t i = 0; i < t.buckets.size(); ++i) {
      auto n = t.buckets[i].outcomes.find(status);
      s.points.emplace_back(
          BucketX(t, i), n == t.buckets[i].outcomes.end() ? 0.0 : static_cast<double>(n->second));
    }
    series.push_back(s);
  }
  return LineChart("outcomes",
                   "Bookings reaching a terminal status per " + Int(t.bucket_ms) + " ms, by status",
                   "per " + Int(t.bucket_ms) + " ms", RunEndMs(r), series);
}

std::string StockChart(const HerdReport& r) {
  if (r.stock.empty()) return "<p>No stock samples were taken.</p>";
  Series available{"available", {}, 0, false}, held{"held", {}, 0, false},
      sold{"sold", {}, 0, false};
  int64_t lowest = r.stock.front().available;
  for (const StockSample& s : r.stock) {
    available.points.emplace_back(s.at_ms, static_cast<double>(s.available));
    held.points.emplace_back(s.at_ms, static_cast<double>(s.held));
    sold.points.emplace_back(s.at_ms, static_cast<double>(s.sold));
    lowest = std::min(lowest, s.available);
  }
  const double x_max = std::max(RunEndMs(r), 1.0);
  std::string total_line;
  // The chart's own scale, so the total's line sits where the series' values do.
  double y_floor = static_cast<double>(r.total_units.value_or(0));
  for (const StockSample& s : r.stock) {
    y_floor = std::max({y_floor, static_cast<double>(s.available), static_cast<double>(s.held),
                        static_cast<double>(s.sold)});
  }
  y_floor = AxisTop(y_floor);
  if (r.total_units) {
    const double y_max = y_floor;
    const double total = static_cast<double>(*r.total_units);
    const double py = kPlotBottom - (kPlotBottom - kPlotTop) * total / y_max;
    total_line = "<line class=\"total\" x1=\"" + Fixed(kPlotLeft, 0) + "\" y1=\"" + Fixed(py, 1) +
                 "\" x2=\"" + Fixed(kPlotRight, 0) + "\" y2=\"" + Fixed(py, 1) + "\"/><text x=\"" +
                 Fixed(kPlotRight - 4, 0) + "\" y=\"" + Fixed(py - 4, 1) +
                 "\" text-anchor=\"end\">total " + Int(*r.total_units) + "</text>";
  }
  const StockSample& last = r.stock.back();
  std::string out = LineChart("stock", "The property's stock over time, read from the gateway",
                              "units", x_max, {available, held, sold}, total_line, y_floor);
  out += "<p>Lowest available seen: <strong>" + Int(lowest) + "</strong>" +
         (lowest < 0 ? " (below zero!)" : " (never below zero)") + ". Last sample: available " +
         Int(last.available) + ", held " + Int(last.held) + ", sold " + Int(last.sold);
  if (r.total_units) {
    out += " of " + Int(*r.total_units) + " units" +
           (last.sold == *r.total_units ? " (sold out: sold equals total)" : "");
  }
  return out + ".</p>";
}

std::string LatencyRow(const std::string& name, const std::string& path, const LatencySummary& s) {
  return "<tr><th scope=\"row\">" + HtmlEscape(name) + "</th>" +
         Cell(path + ".count", Int(s.count)) + Cell(path + ".p50", Fixed(s.p50, 1)) +
         Cell(path + ".p90", Fixed(s.p90, 1)) + Cell(path + ".p99", Fixed(s.p99, 1)) +
         Cell(path + ".max", Fixed(s.max, 1)) + "</tr>";
}

std::string Totals(const HerdReport& r) {
  const double per_second =
      r.herd_seconds > 0 ? static_cast<double>(r.accepted) / r.herd_seconds : 0;
  std::string out = "<h2>Totals</h2><div class=\"scroll\"><table><tbody>";
  auto row = [&](const std::string& name, const std::string& path, const std::string& value) {
    out += "<tr><th scope=\"row\">" + HtmlEscape(name) + "</th>" + Cell(path, value) + "</tr>";
  };
  row("requests sent (duplicates included)", "requests", Int(r.requests));
  row("duplicates sent (same Idempotency-Key again)", "duplicatesSent", Int(r.duplicates_sent));
  row("bookings accepted (distinct 202s)", "acceptedBookings", Int(r.accepted));
  row("accepted per second", "acceptedPerSecond", Fixed(per_second, 0));
  row("herd: first request to last answer, s", "herdSeconds", Fixed(r.herd_seconds, 2));
  row("drain: until every booking was terminal, s", "drainSeconds", Fixed(r.drain_seconds, 2));
  row("total, s", "totalSeconds", Fixed(r.herd_seconds + r.drain_seconds, 2));
  row("bookings that waited on the waitlist", "waitlist.waited", Int(r.waited));
  row("of them, got a room (CONFIRMED)", "waitlist.waitedConfirmed", Int(r.waited_confirmed));
  out += "</tbody></table></div>";

  out +=
      "<h2>HTTP answers</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">status</th>"
      "<th scope=\"col\">answers</th></tr></thead><tbody>";
  for (const auto& [status, n] : r.http_statuses) {
    out += "<tr><th scope=\"row\">" + HtmlEscape(HttpStatusName(status)) + "</th>" +
           Cell("httpStatuses." + std::to_string(status), Int(n)) + "</tr>";
  }
  out += "</tbody></table></div>";

  out +=
      "<h2>Outcomes</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">terminal "
      "status</th>"
      "<th scope=\"col\">bookings</th></tr></thead><tbody>";
  for (const auto& [status, n] : r.outcomes) {
    out += "<tr><th scope=\"row\">" + HtmlEscape(status) + "</th>" +
           Cell("outcomes." + status, Int(n)) + "</tr>";
  }
  out += "</tbody></table></div>";
  return out;
}

std::string Latency(const HerdReport& r) {
  std::string out =
      "<h2>Latency</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">milliseconds</th>"
      "<th scope=\"col\">count</th><th scope=\"col\">p50</th><th scope=\"col\">p90</th>"
      "<th scope=\"col\">p99</th><th scope=\"col\">max</th></tr></thead><tbody>";
  out += LatencyRow("every request: send to answer", "latencyMs", r.all_latency);
  out += LatencyRow("202 answers: send to answer", "acceptedLatencyMs", r.accepted_latency);
  out += LatencyRow("per booking: 202 to terminal outcome", "acceptToTerminalMs",
                    r.accept_to_terminal);
  out += LatencyRow("per waitlisted booking: WAITLISTED to terminal outcome", "waitlist.waitMs",
                    r.waitlist_wait);
  out += "</tbody></table></div>";
  out += Histogram("latency-202", "How long the 202 answers took: requests per latency bin",
                   r.accepted_latency);
  out += Histogram("accept-to-terminal",
                   "From the 202 to the booking's terminal outcome: bookings per latency bin",
                   r.accept_to_terminal);
  return out;
}

std::string Invariants(const HerdReport& r) {
  std::string out =
      "<h2>Invariants</h2><div class=\"scroll\"><table><thead><tr><th scope=\"col\">id</th>"
      "<th scope=\"col\">invariant</th><th scope=\"col\">verdict</th><th scope=\"col\">details</th>"
      "</tr></thead><tbody>";
  for (size_t i = 0; i < r.invariants.size(); ++i) {
    const InvariantRow& row = r.invariants[i];
    out += "<tr><th scope=\"row\">" + HtmlEscape(row.id) + "</th><td>" + HtmlEscape(row.name) +
           "</td>" + Cell("invariants." + std::to_string(i) + ".verdict", row.verdict) + "<td>";
    if (!row.details.empty()) {
      out += "<ul>";
      const size_t shown = std::min(row.details.size(), kMaxDetailsShown);
      for (size_t d = 0; d < shown; ++d) out += "<li>" + HtmlEscape(row.details[d]) + "</li>";
      if (row.details.size() > shown) {
        out += "<li>… and " + std::to_string(row.details.size() - shown) + " more</li>";
      }
      out += "</ul>";
    }
    out += "</td></tr>";
  }
  out += "</tbody></table></div>";
  const bool audit_checked = std::any_of(r.invariants.begin(), r.invariants.end(),
                                         [](const InvariantRow& row) { return row.id == "I6"; });
  if (!audit_checked) {
    out +=
        "<p>I6 (audit complete) is not checked here: <code>wanderluxe verify</code> checks "
        "it once the audit has caught up (bench/herd.sh does).</p>";
  }
  return out;
}

std::string Parameters(const HerdReport& r) {
  std::string out = "<h2>Parameters</h2><div class=\"scroll\"><table><tbody>";
  for (const auto& [name, value] : r.parameters) {
    out += "<tr><th scope=\"row\">" + HtmlEscape(name) + "</th><td>" + HtmlEscape(value) +
           "</td></tr>";
  }
  return out + "</tbody></table></div>";
}

constexpr const char* kStyleSheet =
    "body{font-family:system-ui,sans-serif;margin:0 auto;padding:0 12px;max-width:960px;"
    "color:#111;background:#fff;line-height:1.4}"
    "h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em}"
    "figure{margin:1em 0;overflow-x:auto}svg{width:100%;height:auto;display:block}"
    // At phone width a chart keeps a readable size and scrolls sideways.
    "figure>svg{min-width:480px}"
    "svg text{font-size:14px;fill:#222}svg text.small{font-size:12px}"
    ".grid{stroke:#ddd}.axis{stroke:#222}"
    ".total{stroke:#111;stroke-dasharray:3 3}.bar{fill:#1f4e79}"
    ".swatch{width:36px;height:10px;display:inline-block;margin-right:6px;vertical-align:middle}"
    ".legend{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:4px 16px}"
    ".scroll{overflow-x:auto}table{border-collapse:collapse}th,td{border:1px solid #bbb;"
    "padding:3px 8px;text-align:left;vertical-align:top}td[data-json]{text-align:right;"
    "font-variant-numeric:tabular-nums}figcaption{font-style:italic}"
    ".verdict{font-size:1.2em;font-weight:bold}";

}  // namespace

std::string HtmlEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string RenderHerdReport(const HerdReport& r) {
  std::string page =
      "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<link rel=\"icon\" href=\"data:,\"><title>Herd report: " +
      HtmlEscape(r.property) + "</title><style>" + kStyleSheet + "</style></head><body><main>";
  page += "<h1>Flash-sale herd on " + HtmlEscape(r.property) + "</h1>";
  page += "<p class=\"verdict\">Invariants: <span data-json=\"pass\">" +
          std::string(r.pass ? "PASS" : "FAIL") + "</span></p>";
  page += "<p>" + Int(r.requests) + " requests; " + Int(r.accepted) + " bookings accepted in " +
          Fixed(r.herd_seconds, 2) + " s; every accepted booking terminal " +
          Fixed(r.drain_seconds, 2) + " s later. The timeline counts in buckets of " +
          Int(r.timeline.bucket_ms) + " ms from the first request.</p>";
  page += "<h2>Timeline</h2>" + RequestsChart(r) + OutcomesChart(r);
  page += "<h2>Stock</h2>" + StockChart(r);
  page += Totals(r) + Latency(r) + Invariants(r) + Parameters(r);
  return page + "</main></body></html>\n";
}

}  // namespace wanderluxe
