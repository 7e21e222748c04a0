// Reading a `loadtest --report` page back: the figures it shows (elements with
// data-json="<path>") and whether each equals the --json figure under that
// path, to the page's precision. Shared by the unit and end-to-end tests.
#ifndef WANDERLUXE_TESTS_SUPPORT_REPORT_FIGURES_H_
#define WANDERLUXE_TESTS_SUPPORT_REPORT_FIGURES_H_

#include <map>
#include <nlohmann/json.hpp>
#include <string>

namespace wanderluxe::testing {

// path -> the text the page shows for it.
std::map<std::string, std::string> PageFigures(const std::string& page);

// The figure under a dotted path ("httpStatuses.202", "invariants.0.verdict");
// nullptr when there is none.
const nlohmann::json* LookupFigure(const nlohmann::json& doc, const std::string& path);

// The page's `text` shows `value`: a number to the page's decimals, a bool as
// PASS or FAIL, a string as itself.
bool SameFigure(const nlohmann::json& value, const std::string& text);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_REPORT_FIGURES_H_
