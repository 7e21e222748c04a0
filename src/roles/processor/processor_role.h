// `wanderluxe processor`: Kafka consumer and worker pool running the booking saga.
#ifndef WANDERLUXE_ROLES_PROCESSOR_PROCESSOR_ROLE_H_
#define WANDERLUXE_ROLES_PROCESSOR_PROCESSOR_ROLE_H_

#include "roles/common/role_context.h"

namespace wanderluxe {

// Adds the subcommand's own options to `command`; returns what runs it.
RoleMain AddProcessorCommand(CLI::App& command);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_PROCESSOR_PROCESSOR_ROLE_H_
