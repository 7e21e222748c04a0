// `wanderluxe gateway`: HTTP ingress: validate, deduplicate, publish to Kafka, answer 202.
#ifndef WANDERLUXE_ROLES_GATEWAY_GATEWAY_ROLE_H_
#define WANDERLUXE_ROLES_GATEWAY_GATEWAY_ROLE_H_

#include "roles/common/role_context.h"

namespace wanderluxe {

// Adds the subcommand's own options to `command`; returns what runs it.
RoleMain AddGatewayCommand(CLI::App& command);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_GATEWAY_GATEWAY_ROLE_H_
