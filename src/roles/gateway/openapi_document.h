// The OpenAPI document a gateway serves at /openapi.yaml.
//
// Thread safety: pure functions over immutable text; any thread.
#ifndef WANDERLUXE_ROLES_GATEWAY_OPENAPI_DOCUMENT_H_
#define WANDERLUXE_ROLES_GATEWAY_OPENAPI_DOCUMENT_H_

#include <string>
#include <string_view>

#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

namespace wanderluxe {

// api/openapi.yaml as it was when this binary was built.
std::string_view OpenApiDocument();

// The document with the booking request's currencies block rendered from
// `gateway` (gateway.currencies, each with its minor unit as multipleOf, and
// gateway.max_amount_minor as each one's maximum): what this gateway
// accepts, so a client generating requests from the document sends none it
// refuses. kInternal when the document has lost the block's markers.
Result<std::string> OpenApiDocumentFor(const GatewayConfig& gateway);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ROLES_GATEWAY_OPENAPI_DOCUMENT_H_
