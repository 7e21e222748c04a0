// Exact-match routing of a request's method and path, without regular
// expressions. A route is a method and a path template such as
// "/api/v1/bookings/{id}": each "{name}" is one whole segment that matches
// kParamPattern's characters (1 to kMaxParamBytes of them) and becomes a path
// parameter. A template without parameters is found by one hash lookup; the
// few with parameters are compared segment by segment.
//
// What Find answers mirrors HTTP: the route, or "no such path" (404), or "the
// path exists but not for this method" (405, with the Allow list). HEAD is
// served by the GET route, so Allow names HEAD wherever GET is routed. The
// query string and fragment of a target are ignored.
//
// Built once before serving, then only read: Find is safe to call from many
// threads at once.
#ifndef WANDERLUXE_ADAPTERS_HTTP_ROUTE_TABLE_H_
#define WANDERLUXE_ADAPTERS_HTTP_ROUTE_TABLE_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "wanderluxe/status.h"

namespace wanderluxe {

struct RouteMatch {
  enum class Kind { kFound, kNoSuchPath, kMethodNotAllowed };
  Kind kind = Kind::kNoSuchPath;
  size_t route = 0;                 // kFound: the index RouteTable::Add returned
  std::vector<std::string> params;  // kFound: the "{name}" segments, left to right
  std::string allow;                // kMethodNotAllowed: e.g. "GET, HEAD, POST"
};

class RouteTable {
 public:
  // A path parameter's characters, and at most how many (as in §4.1's ids).
  static constexpr std::string_view kParamPattern = "[A-Za-z0-9._:-]";
  static constexpr size_t kMaxParamBytes = 64;

  // Adds `method` on `path_template`; `label` names the route (default:
  // "METHOD template"). Returns the route's index, counted from 0 in the order
  // of Add, or why it cannot be added: a template that does not start with
  // '/', holds '?', '#', or a '{' that is not a whole "{name}" segment, a
  // method that is not an HTTP token, or a method already routed on a template
  // of the same shape.
  Result<size_t> Add(const std::string& method, std::string_view path_template,
                     std::string label = "");

  // The route for `method` on `target` (a path, perhaps followed by a query).
  RouteMatch Find(std::string_view method, std::string_view target) const;

  const std::string& label(size_t route) const { return labels_[route]; }
  size_t size() const { return labels_.size(); }

 private:
  // The methods routed on one path shape, each with its route index.
  struct Methods {
    std::vector<std::pair<std::string, size_t>> routes;

    // The route serving `method` (HEAD falls back to GET), or nullptr.
    const size_t* Find(std::string_view method) const;
    void AddAllowed(std::vector<std::string>* allowed) const;
  };

  struct Segment {
    std::string literal;  // empty for a parameter
    bool is_param = false;
  };

  // A template with at least one parameter.
  struct Pattern {
    std::string shape;  // the template with every "{name}" written "{}"
    std::vector<Segment> segments;
    Methods methods;

    // True when `path` has this shape; its parameters are appended to `params`.
    bool Matches(std::string_view path, std::vector<std::string>* params) const;
  };

  // Hashes std::string and std::string_view alike, so Find looks a path up
  // without building a string.
  struct PathHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::unordered_map<std::string, Methods, PathHash, std::equal_to<>> static_paths_;
  std::vector<Pattern> patterns_;
  std::vector<std::string> labels_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_HTTP_ROUTE_TABLE_H_
