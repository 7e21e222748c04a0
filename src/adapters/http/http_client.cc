#include "adapters/http/http_client.h"

#include <httplib.h>
#include <strings.h>

namespace wanderluxe {

std::string HttpResult::Header(const std::string& name) const {
  for (const auto& [k, v] : headers) {
    if (strcasecmp(k.c_str(), name.c_str()) == 0) return v;
  }
  return "";
}

struct HttpClient::Impl {
  explicit Impl(const std::string& base_url) : client(base_url) {}
  httplib::Client client;
};

HttpClient::HttpClient(const std::string& base_url, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>(base_url)) {
  const auto sec = static_cast<time_t>(timeout.count() / 1000);
  const auto usec = static_cast<time_t>((timeout.count() % 1000) * 1000);
  impl_->client.set_connection_timeout(sec, usec);
  impl_->client.set_read_timeout(sec, usec);
  impl_->client.set_write_timeout(sec, usec);
  impl_->client.set_keep_alive(true);
}

HttpClient::~HttpClient() = default;

Result<HttpResult> HttpClient::Send(const std::string& method, const std::string& path,
                                    const std::vector<std::pair<std::string, std::string>>& headers,
                                    const std::string& body, const std::string& content_type) {
  httplib::Headers h;
  for (const auto& [k, v] : headers) h.emplace(k, v);
  httplib::Result res = [&] {
    if (method == "GET") return impl_->client.Get(path.c_str(), h);
    if (method == "POST") return impl_->client.Post(path.c_str(), h, body, content_type.c_str());
    if (method == "PUT") return impl_->client.Put(path.c_str(), h, body, content_type.c_str());
    if (method == "DELETE")
      return impl_->client.Delete(path.c_str(), h, body, content_type.c_str());
    return impl_->client.Patch(path.c_str(), h, body, content_type.c_str());
  }();
  if (!res) {
    const httplib::Error err = res.error();
    const std::string message = method + " " + path + ": " + httplib::to_string(err);
    if (err == httplib::Error::Read || err == httplib::Error::Write) {
      return Status::DeadlineExceeded(message);
    }
    return Status::Unavailable(message);
  }
  HttpResult out;
  out.status = res->status;
  out.body = res->body;
  for (const auto& [k, v] : res->headers) out.headers.emplace_back(k, v);
  return out;
}

}  // namespace wanderluxe
