#ifndef WANDERLUXE_ROLES_GATEWAY_OPENAPI_DOCUMENT_H_
#define WANDERLUXE_ROLES_GATEWAY_OPENAPI_DOCUMENT_H_

#include <string_view>

namespace wanderluxe {

// api/openapi.yaml as it was when this binary was built.
std::string_view OpenApiDocument();

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_GATEWAY_OPENAPI_DOCUMENT_H_
