#include "wanderluxe/client_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <fstream>

#include "wanderluxe/check.h"

namespace wanderluxe {
namespace {

constexpr std::string_view kHashedPrefix = "sha256:";
constexpr size_t kClientIdHexDigits = 16;

ClientKeys::Digest Sha256(std::string_view text) {
  // Fetched once: OpenSSL 3 looks an implicitly named algorithm up under a
  // global lock on every use, and every keyed request hashes its key.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ClientKeys::Digest digest{};
  unsigned int length = 0;
  const bool hashed = kSha256 != nullptr && EVP_Digest(text.data(), text.size(), digest.data(),
                                                       &length, kSha256, nullptr) == 1;
  WL_CHECK(hashed && length == digest.size(), "SHA-256 unavailable from OpenSSL");
  return digest;
}

std::string Hex(const ClientKeys::Digest& digest, size_t digits) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; out.size() < digits && i < digest.size(); ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 15];
  }
  return out;
}

std::optional<ClientKeys::Digest> ParseHex(std::string_view hex) {
  ClientKeys::Digest digest{};
  if (hex.size() != 2 * digest.size()) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < digest.size(); ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    digest[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return digest;
}

bool IsSpace(char c) { return c == ' ' || c == '\t'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (IsSpace(s.front()) || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (IsSpace(s.back()) || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

Result<ClientKeys> ClientKeys::FromList(const std::vector<std::string>& entries) {
  std::vector<Digest> digests;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string_view entry = Trim(entries[i]);
    const std::string where = "API key " + std::to_string(i + 1);
    if (entry.empty()) return Status::InvalidArgument(where + " is empty");
    if (entry.substr(0, kHashedPrefix.size()) == kHashedPrefix) {
      auto digest = ParseHex(entry.substr(kHashedPrefix.size()));
      if (!digest) {
        return Status::InvalidArgument(where + ": after 'sha256:' must come 64 hex digits");
      }
      digests.push_back(*digest);
    } else {
      digests.push_back(Sha256(entry));
    }
  }
  if (digests.empty()) return Status::InvalidArgument("no API key given");
  return ClientKeys(std::move(digests));
}

Result<ClientKeys> ClientKeys::FromFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("API keys file " + path + " cannot be read");
  std::vector<std::string> entries;
  std::string line;
  while (std::getline(in, line)) {
    const std::string_view entry = Trim(line);
    if (entry.empty() || entry.front() == '#') continue;
    entries.emplace_back(entry);
  }
  auto keys = FromList(entries);
  if (!keys.ok()) {
    return Status::InvalidArgument("API keys file " + path + ": " + keys.status().message());
  }
  return keys;
}

std::optional<std::string> ClientKeys::Authenticate(std::string_view authorization) const {
  constexpr std::string_view kScheme = "bearer";
  authorization = Trim(authorization);
  if (authorization.size() <= kScheme.size() ||
      !EqualsIgnoringCase(authorization.substr(0, kScheme.size()), kScheme) ||
      !IsSpace(authorization[kScheme.size()])) {
    return std::nullopt;
  }
  const std::string_view key = Trim(authorization.substr(kScheme.size()));
  if (key.empty()) return std::nullopt;
  const Digest presented = Sha256(key);
  // No early exit: the time taken does not say which key, if any, matched.
  bool matched = false;
  for (const Digest& known : digests_) {
    matched |= CRYPTO_memcmp(known.data(), presented.data(), presented.size()) == 0;
  }
  if (!matched) return std::nullopt;
  return Hex(presented, kClientIdHexDigits);
}

std::string ClientKeys::ClientIdOf(std::string_view key) {
  return Hex(Sha256(key), kClientIdHexDigits);
}

Result<std::shared_ptr<const ClientKeys>> ClientKeys::Load(const GatewayConfig& gateway) {
  if (gateway.auth_mode != "api-key") return std::shared_ptr<const ClientKeys>();
  std::vector<Digest> digests;
  if (!gateway.api_keys.empty()) {
    auto listed = FromList(gateway.api_keys);
    if (!listed.ok()) return listed.status();
    digests = std::move(listed->digests_);
  }
  if (!gateway.api_keys_file.empty()) {
    auto from_file = FromFile(gateway.api_keys_file);
    if (!from_file.ok()) return from_file.status();
    digests.insert(digests.end(), from_file->digests_.begin(), from_file->digests_.end());
  }
  if (digests.empty()) return Status::InvalidArgument("no API key given");
  return std::shared_ptr<const ClientKeys>(new ClientKeys(std::move(digests)));
}

ApiResponse Unauthorized() {
  ApiResponse r =
      ProblemResponse(401, "Unauthorized", "send Authorization: Bearer <api key> with a known key");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace wanderluxe
