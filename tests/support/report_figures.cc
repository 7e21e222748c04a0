#include "support/report_figures.h"

#include <cmath>
#include <regex>

namespace wanderluxe::testing {

std::map<std::string, std::string> PageFigures(const std::string& page) {
  static const std::regex cell(R"re(data-json="([^"]+)">([^<]*)<)re");
  std::map<std::string, std::string> figures;
  for (std::sregex_iterator it(page.begin(), page.end(), cell), end; it != end; ++it) {
    figures[(*it)[1]] = (*it)[2];
  }
  return figures;
}

const nlohmann::json* LookupFigure(const nlohmann::json& doc, const std::string& path) {
  const nlohmann::json* at = &doc;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t dot = std::min(path.find('.', start), path.size());
    const std::string part = path.substr(start, dot - start);
    if (at->is_array()) {
      if (part.empty() || part.find_first_not_of("0123456789") != std::string::npos) return nullptr;
      const size_t index = std::stoul(part);
      if (index >= at->size()) return nullptr;
      at = &(*at)[index];
    } else if (at->is_object() && at->contains(part)) {
      at = &(*at)[part];
    } else {
      return nullptr;
    }
    start = dot + 1;
  }
  return at;
}

bool SameFigure(const nlohmann::json& value, const std::string& text) {
  if (value.is_boolean()) return text == (value.get<bool>() ? "PASS" : "FAIL");
  if (value.is_string()) return text == value.get<std::string>();
  if (!value.is_number() || text.empty()) return false;
  const size_t dot = text.find('.');
  const int decimals = dot == std::string::npos ? 0 : static_cast<int>(text.size() - dot - 1);
  const double scale = std::pow(10.0, decimals);
  char* end = nullptr;
  const double shown = std::strtod(text.c_str(), &end);
  if (end != text.c_str() + text.size()) return false;
  return std::fabs(std::round(value.get<double>() * scale) / scale - shown) < 0.5 / scale + 1e-9;
}

}  // namespace wanderluxe::testing
