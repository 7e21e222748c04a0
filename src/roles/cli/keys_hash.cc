#include "roles/cli/keys_hash.h"

#include <cstdio>
#include <iostream>

#include "wanderluxe/client_keys.h"

namespace wanderluxe {

int RunKeysHash(const RoleContext& context, const std::string& client_id) {
  const std::string& secret = context.config.gateway.api_key_secret;
  if (secret.empty()) {
    std::fprintf(stderr, "keys hash: gateway.api_key_secret is not set; the HMAC needs it\n");
    return kExitUsage;
  }
  std::string key;
  if (!std::getline(std::cin, key)) {
    std::fprintf(stderr, "keys hash: give the key on standard input\n");
    return kExitUsage;
  }
  const std::string entry = client_id + "=" + ClientKeys::HashedKey(secret, key);
  // The entry is parsed as the gateway will parse it: a key it would refuse
  // is refused here, before anyone stores its digest.
  const std::string clear = client_id + "=" + key;
  if (auto keys = ClientKeys::FromList({clear}, secret); !keys.ok()) {
    std::fprintf(stderr, "keys hash: %s\n", keys.status().message().c_str());
    return kExitUsage;
  }
  std::printf("%s\n", entry.c_str());
  return kExitOk;
}

}  // namespace wanderluxe
