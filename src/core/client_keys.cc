#include "wanderluxe/client_keys.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <fstream>

#include "wanderluxe/check.h"

namespace wanderluxe {
namespace {

constexpr std::string_view kHashedPrefix = "hmac-sha256:";
constexpr size_t kRandomSecretBytes = 32;

ClientKeys::Digest Hmac(std::string_view secret, std::string_view text) {
  // Fetched once: OpenSSL 3 looks an implicitly named algorithm up under a
  // global lock on every use, and every keyed request hashes its key.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  ClientKeys::Digest digest{};
  unsigned int length = 0;
  const bool hashed =
      kSha256 != nullptr && HMAC(kSha256, secret.data(), static_cast<int>(secret.size()),
                                 reinterpret_cast<const unsigned char*>(text.data()), text.size(),
                                 digest.data(), &length) != nullptr;
  WL_CHECK(hashed && length == digest.size(), "HMAC-SHA256 unavailable from OpenSSL");
  return digest;
}

std::string RandomSecret() {
  std::string secret(kRandomSecretBytes, '\0');
  WL_CHECK(RAND_bytes(reinterpret_cast<unsigned char*>(secret.data()),
                      static_cast<int>(secret.size())) == 1,
           "no random bytes from OpenSSL");
  return secret;
}

std::string Hex(const ClientKeys::Digest& digest) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
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

bool IsVisibleAscii(std::string_view key) {
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

}  // namespace

Status ClientKeys::Parse(const std::vector<std::string>& lines, const std::string& where,
                         std::string_view secret, bool secret_given, std::vector<Entry>& out) {
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string_view line = Trim(lines[i]);
    const std::string name = where + " " + std::to_string(i + 1);
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos || !IsValidClientId(line.substr(0, eq))) {
      return Status::InvalidArgument(name + ": write <client-id>=<key>, the client id 1 to " +
                                     std::to_string(kMaxClientIdBytes) + " of A-Z a-z 0-9 . _ -");
    }
    Entry entry{std::string(line.substr(0, eq)), {}};
    const std::string_view key = line.substr(eq + 1);
    if (key.substr(0, kHashedPrefix.size()) == kHashedPrefix) {
      if (!secret_given) {
        return Status::InvalidArgument(name + " (client " + entry.client_id +
                                       ") is an HMAC: set gateway.api_key_secret, the secret "
                                       "it was made under");
      }
      auto digest = ParseHex(key.substr(kHashedPrefix.size()));
      if (!digest) {
        return Status::InvalidArgument(name + " (client " + entry.client_id +
                                       "): after 'hmac-sha256:' must come 64 hex digits");
      }
      entry.digest = *digest;
    } else if (key.size() < kMinKeyBytes || key.size() > kMaxKeyBytes || !IsVisibleAscii(key)) {
      return Status::InvalidArgument(
          name + " (client " + entry.client_id + "): a key is " + std::to_string(kMinKeyBytes) +
          " to " + std::to_string(kMaxKeyBytes) + " visible ASCII characters, no spaces");
    } else {
      entry.digest = Hmac(secret, key);
    }
    for (const Entry& known : out) {
      if (known.digest == entry.digest && known.client_id != entry.client_id) {
        return Status::InvalidArgument(name + " gives client " + entry.client_id +
                                       " a key that already names client " + known.client_id);
      }
    }
    out.push_back(std::move(entry));
  }
  return Status::Ok();
}

Result<ClientKeys> ClientKeys::FromList(const std::vector<std::string>& entries,
                                        std::string_view secret) {
  const bool given = !secret.empty();
  std::string key = given ? std::string(secret) : RandomSecret();
  std::vector<Entry> parsed;
  if (Status s = Parse(entries, "API key", key, given, parsed); !s.ok()) return s;
  if (parsed.empty()) return Status::InvalidArgument("no API key given");
  return ClientKeys(std::move(key), std::move(parsed));
}

namespace {

Result<std::vector<std::string>> ReadEntries(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status::NotFound("API keys file " + path + " cannot be read");
  std::vector<std::string> entries;
  for (std::string line; std::getline(in, line);) {
    const std::string_view entry = Trim(line);
    if (entry.empty() || entry.front() == '#') continue;
    entries.emplace_back(entry);
  }
  return entries;
}

}  // namespace

Result<ClientKeys> ClientKeys::FromFile(const std::string& path, std::string_view secret) {
  auto entries = ReadEntries(path);
  if (!entries.ok()) return entries.status();
  auto keys = FromList(*entries, secret);
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
  if (key.empty() || key.size() > kMaxKeyBytes) return std::nullopt;
  const Digest presented = Hmac(secret_, key);
  // No early exit: the time taken does not say which key, if any, matched.
  const Entry* matched = nullptr;
  for (const Entry& known : entries_) {
    const bool equal = CRYPTO_memcmp(known.digest.data(), presented.data(), presented.size()) == 0;
    if (equal) matched = &known;
  }
  if (matched == nullptr) return std::nullopt;
  return matched->client_id;
}

std::string ClientKeys::HashedKey(std::string_view secret, std::string_view key) {
  return std::string(kHashedPrefix) + Hex(Hmac(secret, key));
}

Result<std::shared_ptr<const ClientKeys>> ClientKeys::Load(const GatewayConfig& gateway) {
  if (gateway.auth_mode != "api-key") return std::shared_ptr<const ClientKeys>();
  const bool given = !gateway.api_key_secret.empty();
  std::string secret = given ? gateway.api_key_secret : RandomSecret();
  std::vector<Entry> entries;
  if (Status s = Parse(gateway.api_keys, "gateway.api_keys entry", secret, given, entries);
      !s.ok()) {
    return s;
  }
  if (!gateway.api_keys_file.empty()) {
    auto lines = ReadEntries(gateway.api_keys_file);
    if (!lines.ok()) return lines.status();
    const std::string where = "API keys file " + gateway.api_keys_file + ", entry";
    if (Status s = Parse(*lines, where, secret, given, entries); !s.ok()) return s;
  }
  if (entries.empty()) return Status::InvalidArgument("no API key given");
  return std::shared_ptr<const ClientKeys>(new ClientKeys(std::move(secret), std::move(entries)));
}

ApiResponse Unauthorized() {
  ApiResponse r =
      ProblemResponse(401, "Unauthorized", "send Authorization: Bearer <api key> with a known key");
  r.headers.emplace_back("WWW-Authenticate", "Bearer");
  return r;
}

}  // namespace wanderluxe
