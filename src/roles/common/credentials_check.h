// A role's first contact with its servers: one that answers but refuses the
// configured credentials is a configuration error, so the role exits at once
// naming the server and the settings, rather than retrying forever. A server
// that does not answer is not judged: roles start while a server is away and
// connect when it comes (their readiness says so meanwhile).
#ifndef WANDERLUXE_ROLES_COMMON_CREDENTIALS_CHECK_H_
#define WANDERLUXE_ROLES_COMMON_CREDENTIALS_CHECK_H_

#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

// Redis (when the role uses it), and Kafka when SASL is configured; bounded
// by each client's own connect and request timeouts. kFailedPrecondition
// names what was refused.
Status CheckCredentials(const Config& config, bool uses_redis);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_COMMON_CREDENTIALS_CHECK_H_
