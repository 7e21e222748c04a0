#include "wanderluxe/api_response.h"

#include <nlohmann/json.hpp>

namespace wanderluxe {

ApiResponse ProblemResponse(int status, const std::string& title, const std::string& detail,
                            const std::string& extra_members_json) {
  nlohmann::json problem = {
      {"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}};
  if (!extra_members_json.empty()) problem.update(nlohmann::json::parse(extra_members_json));
  // Details quote client input (a path, a header); bytes that are not UTF-8
  // become U+FFFD rather than an exception from dump().
  return {status,
          "application/problem+json",
          problem.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
          {}};
}

}  // namespace wanderluxe
