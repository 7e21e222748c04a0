// The API keys a gateway accepts (gateway.auth_mode=api-key), and which
// client presents one. An entry names its client: "<client-id>=<key>", the
// key in clear or as "hmac-sha256:<64 hex>", its HMAC-SHA256 under
// gateway.api_key_secret. The client id is the name, never derived from the
// key: a rotated key (a second entry of the same client, the old one removed
// later) keeps the client's bookings and Idempotency-Keys, and nothing stored
// downstream (Kafka, the ledger, Redis, the archive) says anything of a key.
// A presented key is compared only as its HMAC, under the configured secret
// or, without one, under a random secret of this process (then only keys in
// clear may be given): a keys file holding digests is no offline guessing
// oracle without the secret.
//
// Thread safety: immutable after construction; any number of threads may
// call Authenticate at once.
#ifndef WANDERLUXE_CLIENT_KEYS_H_
#define WANDERLUXE_CLIENT_KEYS_H_

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "wanderluxe/api_response.h"
#include "wanderluxe/booking_request.h"
#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

class ClientKeys {
 public:
  using Digest = std::array<unsigned char, 32>;

  // A key in clear: at least this many bytes, visible ASCII (no spaces).
  static constexpr size_t kMinKeyBytes = 16;
  static constexpr size_t kMaxKeyBytes = 256;

  // Each entry "<client-id>=<key>" or "<client-id>=hmac-sha256:<64 hex>",
  // the client id valid by IsValidClientId.
  // `secret` empty: a random secret, and digests are refused (nothing could
  // match them). An empty list, a malformed entry, or one key under two
  // clients is an error naming the entry by number, never its key.
  static Result<ClientKeys> FromList(const std::vector<std::string>& entries,
                                     std::string_view secret = {});
  // One entry per line; blank lines and lines starting with '#' are skipped.
  static Result<ClientKeys> FromFile(const std::string& path, std::string_view secret = {});
  // gateway.auth_mode=api-key: the entries of gateway.api_keys and of
  // gateway.api_keys_file together, under gateway.api_key_secret. Null for
  // auth_mode none.
  static Result<std::shared_ptr<const ClientKeys>> Load(const GatewayConfig& gateway);

  // The client an Authorization header names: "Bearer <key>", the scheme in
  // any case (RFC 9110 §11.1), with a known key. Every known key is compared,
  // in constant time, whatever matched first.
  std::optional<std::string> Authenticate(std::string_view authorization) const;

  size_t size() const { return entries_.size(); }

  // What an operator stores instead of `key`: "hmac-sha256:<64 hex>" under
  // `secret` (`wanderluxe keys hash`).
  static std::string HashedKey(std::string_view secret, std::string_view key);

 private:
  struct Entry {
    std::string client_id;
    Digest digest;
  };

  ClientKeys(std::string secret, std::vector<Entry> entries)
      : secret_(std::move(secret)), entries_(std::move(entries)) {}
  // Parses `entries` (named "<where> N") under `secret`, appending to `out`.
  static Status Parse(const std::vector<std::string>& lines, const std::string& where,
                      std::string_view secret, bool secret_given, std::vector<Entry>& out);

  std::string secret_;
  std::vector<Entry> entries_;
};

// The 401 of every route behind the key.
ApiResponse Unauthorized();

}  // namespace wanderluxe

#endif  // WANDERLUXE_CLIENT_KEYS_H_
