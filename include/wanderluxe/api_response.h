// A response of our HTTP APIs, independent of any HTTP library, and the
// RFC 9457 problem document every error is written as.
//
// Thread safety: plain values and pure functions; any thread.
#ifndef WANDERLUXE_API_RESPONSE_H_
#define WANDERLUXE_API_RESPONSE_H_

#include <string>
#include <utility>
#include <vector>

namespace wanderluxe {

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// application/problem+json with type, title, status and detail, plus any
// members of `extra_members_json` (a JSON object, e.g. {"errors":[...]}).
// `detail` may quote client input: bytes in it that are not UTF-8 are sent as
// U+FFFD, so building a problem never throws on them.
ApiResponse ProblemResponse(int status, const std::string& title, const std::string& detail,
                            const std::string& extra_members_json = "");

}  // namespace wanderluxe

#endif  // WANDERLUXE_API_RESPONSE_H_
