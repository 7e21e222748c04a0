// A blocking HTTP/1.1 client behind our own types (httplib stays in one
// translation unit). One instance per thread; it keeps its connection alive.
#ifndef WANDERLUXE_ADAPTERS_HTTP_HTTP_CLIENT_H_
#define WANDERLUXE_ADAPTERS_HTTP_HTTP_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "wanderluxe/status.h"

namespace wanderluxe {

struct HttpResult {
  int status = 0;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;

  std::string Header(const std::string& name) const;  // case-insensitive; "" when absent
};

class HttpClient {
 public:
  // `base_url` like "http://127.0.0.1:8080"; every call is bounded by `timeout`.
  HttpClient(const std::string& base_url, std::chrono::milliseconds timeout);
  ~HttpClient();

  // kUnavailable when no connection, kDeadlineExceeded when no answer in time.
  Result<HttpResult> Send(const std::string& method, const std::string& path,
                          const std::vector<std::pair<std::string, std::string>>& headers = {},
                          const std::string& body = "",
                          const std::string& content_type = "application/json");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_HTTP_HTTP_CLIENT_H_
