// The API keys a gateway accepts (gateway.auth_mode=api-key), and who
// presents one. A client is named by its key's SHA-256: the first 16 hex
// digits, the same whether the key was configured in clear or hashed, and
// nothing that gives the key away where it is stored (the idempotency keys in
// Redis, the booking's ledger record, the event on Kafka).
//
// Thread safety: immutable after construction; any number of threads may
// call Authenticate at once.
#ifndef WANDERLUXE_CLIENT_KEYS_H_
#define WANDERLUXE_CLIENT_KEYS_H_

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wanderluxe/api_response.h"
#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

class ClientKeys {
 public:
  using Digest = std::array<unsigned char, 32>;

  // Each entry a key in clear, or "sha256:" and the key's SHA-256 in 64 hex
  // digits. An empty list, an empty key or a malformed digest is an error.
  static Result<ClientKeys> FromList(const std::vector<std::string>& entries);
  // One entry per line; blank lines and lines starting with '#' are skipped.
  static Result<ClientKeys> FromFile(const std::string& path);
  // gateway.auth_mode=api-key: the keys of gateway.api_keys and of
  // gateway.api_keys_file together. Null for auth_mode none.
  static Result<std::shared_ptr<const ClientKeys>> Load(const GatewayConfig& gateway);

  // The client an Authorization header names: "Bearer <key>", the scheme in
  // any case (RFC 9110 §11.1), with a known key. Every known key is compared,
  // in constant time, whatever matched first.
  std::optional<std::string> Authenticate(std::string_view authorization) const;

  size_t size() const { return digests_.size(); }

  // The client id of a key (what Authenticate returns for it).
  static std::string ClientIdOf(std::string_view key);

 private:
  explicit ClientKeys(std::vector<Digest> digests) : digests_(std::move(digests)) {}

  std::vector<Digest> digests_;
};

// The 401 of every route behind the key.
ApiResponse Unauthorized();

}  // namespace wanderluxe

#endif  // WANDERLUXE_CLIENT_KEYS_H_
