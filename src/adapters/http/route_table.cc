#include "adapters/http/route_table.h"

#include <algorithm>
#include <cctype>

namespace wanderluxe {
namespace {

constexpr std::string_view kGet = "GET";
constexpr std::string_view kHead = "HEAD";

// RFC 9110 5.6.2: a method is a token.
bool IsToken(std::string_view s) {
  static constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || kSymbols.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// One segment of a path that a "{name}" segment matches.
bool IsParamValue(std::string_view s) {
  if (s.empty() || s.size() > RouteTable::kMaxParamBytes) return false;
  return std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '.' || c == '_' || c == ':' || c == '-';
  });
}

// "{name}": a parameter segment of a template.
bool IsParamSegment(std::string_view s) {
  if (s.size() < 3 || s.front() != '{' || s.back() != '}') return false;
  const std::string_view name = s.substr(1, s.size() - 2);
  return std::all_of(name.begin(), name.end(),
                     [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// The segments of `path` after its leading '/': "/" has one, empty.
std::vector<std::string_view> SplitSegments(std::string_view path) {
  std::vector<std::string_view> segments;
  std::string_view rest = path.substr(1);
  for (;;) {
    const size_t slash = rest.find('/');
    segments.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) return segments;
    rest.remove_prefix(slash + 1);
  }
}

}  // namespace

const size_t* RouteTable::Methods::Find(std::string_view method) const {
  const size_t* get = nullptr;
  for (const auto& [m, route] : routes) {
    if (m == method) return &route;
    if (m == kGet) get = &route;
  }
  return method == kHead ? get : nullptr;
}

void RouteTable::Methods::AddAllowed(std::vector<std::string>* allowed) const {
  for (const auto& [m, route] : routes) {
    allowed->push_back(m);
    if (m == kGet) allowed->emplace_back(kHead);
  }
}

bool RouteTable::Pattern::Matches(std::string_view path, std::vector<std::string>* params) const {
  // A first pass decides, so that a path of the wrong shape costs no allocation.
  for (bool collect : {false, true}) {
    std::string_view rest = path.substr(1);
    for (size_t i = 0; i < segments.size(); ++i) {
      const size_t slash = rest.find('/');
      const bool last = i + 1 == segments.size();
      if (last != (slash == std::string_view::npos)) return false;
      const std::string_view piece = rest.substr(0, slash);
      if (segments[i].is_param) {
        if (!IsParamValue(piece)) return false;
        if (collect) params->emplace_back(piece);
      } else if (piece != segments[i].literal) {
        return false;
      }
      if (!last) rest.remove_prefix(slash + 1);
    }
  }
  return true;
}

Result<size_t> RouteTable::Add(const std::string& method, std::string_view path_template,
                               std::string label) {
  const std::string where = method + " " + std::string(path_template);
  if (!IsToken(method)) return Status::InvalidArgument(where + ": the method is not a token");
  if (path_template.empty() || path_template.front() != '/' ||
      path_template.find_first_of("?#") != std::string_view::npos) {
    return Status::InvalidArgument(where + ": a template is a path starting with '/'");
  }
  std::string shape;
  std::vector<Segment> segments;
  for (std::string_view piece : SplitSegments(path_template)) {
    const bool is_param = IsParamSegment(piece);
    if (!is_param && piece.find_first_of("{}") != std::string_view::npos) {
      return Status::InvalidArgument(where + ": a parameter is a whole segment, \"{name}\"");
    }
    shape += is_param ? "/{}" : "/" + std::string(piece);
    segments.push_back({is_param ? "" : std::string(piece), is_param});
  }
  const bool has_params =
      std::any_of(segments.begin(), segments.end(), [](const Segment& s) { return s.is_param; });
  Methods* methods = nullptr;
  if (!has_params) {
    methods = &static_paths_[shape];
  } else {
    auto it = std::find_if(patterns_.begin(), patterns_.end(),
                           [&](const Pattern& p) { return p.shape == shape; });
    if (it == patterns_.end()) it = patterns_.insert(it, Pattern{shape, std::move(segments), {}});
    methods = &it->methods;
  }
  for (const auto& [m, route] : methods->routes) {
    if (m == method) return Status::AlreadyExists(where + ": routed twice");
  }
  const size_t route = labels_.size();
  methods->routes.emplace_back(method, route);
  labels_.push_back(label.empty() ? where : std::move(label));
  return route;
}

RouteMatch RouteTable::Find(std::string_view method, std::string_view target) const {
  const std::string_view path = target.substr(0, target.find_first_of("?#"));
  RouteMatch match;
  if (path.empty() || path.front() != '/') return match;
  const auto hit = static_paths_.find(path);
  if (hit != static_paths_.end()) {
    if (const size_t* route = hit->second.Find(method)) {
      match.kind = RouteMatch::Kind::kFound;
      match.route = *route;
      return match;
    }
  }
  std::vector<const Methods*> path_exists;
  if (hit != static_paths_.end()) path_exists.push_back(&hit->second);
  for (const Pattern& pattern : patterns_) {
    if (!pattern.Matches(path, &match.params)) continue;
    if (const size_t* route = pattern.methods.Find(method)) {
      match.kind = RouteMatch::Kind::kFound;
      match.route = *route;
      return match;
    }
    match.params.clear();
    path_exists.push_back(&pattern.methods);
  }
  if (path_exists.empty()) return match;
  std::vector<std::string> allowed;
  for (const Methods* methods : path_exists) methods->AddAllowed(&allowed);
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  match.kind = RouteMatch::Kind::kMethodNotAllowed;
  for (const std::string& m : allowed) match.allow += (match.allow.empty() ? "" : ", ") + m;
  return match;
}

}  // namespace wanderluxe
