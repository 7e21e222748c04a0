// `loadtest --report`: one self-contained HTML page of a herd — charts as
// inline SVG, tables of the same figures `--json` prints, no script, nothing
// fetched. Elements showing a `--json` figure carry data-json="<its path>"
// (e.g. "httpStatuses.202"), so a checker can compare the two.
#ifndef WANDERLUXE_ROLES_LOADTEST_HTML_REPORT_H_
#define WANDERLUXE_ROLES_LOADTEST_HTML_REPORT_H_

#include <string>
#include <string_view>

#include "roles/loadtest/herd_report.h"

namespace wanderluxe {

// Invariant details shown per invariant; the rest are counted, not listed.
inline constexpr size_t kMaxDetailsShown = 50;

std::string RenderHerdReport(const HerdReport& report);

// `text` with &, <, >, " and ' replaced by entities: safe in content and in
// quoted attributes.
std::string HtmlEscape(std::string_view text);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_LOADTEST_HTML_REPORT_H_
