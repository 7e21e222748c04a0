// `wanderluxe keys hash <client-id>`: the gateway.api_keys entry for a key
// read on standard input, stored as its HMAC under gateway.api_key_secret, so
// the key itself is never written into a config or keys file.
//
// Thread safety: runs on the main thread of a one-shot command.
#ifndef WANDERLUXE_ROLES_CLI_KEYS_HASH_H_
#define WANDERLUXE_ROLES_CLI_KEYS_HASH_H_

#include <string>

#include "roles/common/role_context.h"

namespace wanderluxe {

int RunKeysHash(const RoleContext& context, const std::string& client_id);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_CLI_KEYS_HASH_H_
