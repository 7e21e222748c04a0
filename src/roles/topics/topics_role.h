#ifndef WANDERLUXE_ROLES_TOPICS_TOPICS_ROLE_H_
#define WANDERLUXE_ROLES_TOPICS_TOPICS_ROLE_H_

#include "roles/common/role_context.h"

namespace wanderluxe {

// `wanderluxe topics ensure`: creates the §3 topics that are missing.
int RunTopicsEnsure(const RoleContext& context);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_TOPICS_TOPICS_ROLE_H_
