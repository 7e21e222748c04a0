// One invariant's result out of a verify run, by id; the test stops when it
// was not checked at all.
#ifndef WANDERLUXE_TESTS_SUPPORT_FIND_INVARIANT_H_
#define WANDERLUXE_TESTS_SUPPORT_FIND_INVARIANT_H_

#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "roles/common/invariants.h"

namespace wanderluxe::testing {

inline InvariantResult FindInvariant(const std::vector<InvariantResult>& results,
                                     const std::string& id) {
  auto it = std::find_if(results.begin(), results.end(),
                         [&](const InvariantResult& r) { return r.id == id; });
  REQUIRE_MESSAGE(it != results.end(), id, " was not checked");
  return *it;
}

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_FIND_INVARIANT_H_
