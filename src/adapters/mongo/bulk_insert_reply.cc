#include "adapters/mongo/bulk_insert_reply.h"

#include <mongoc/mongoc.h>

namespace wanderluxe {

BulkInsertOutcome ReadBulkInsertReply(bool executed, const bson_error_t& /*error*/,
                                      const bson_t& reply, size_t /*documents*/) {
  BulkInsertOutcome outcome;
  bool only_duplicates = true;
  bson_iter_t it, errors, entry;
  if (bson_iter_init_find(&it, &reply, "nInserted")) outcome.inserted = bson_iter_as_int64(&it);
  if (bson_iter_init_find(&it, &reply, "writeErrors") && bson_iter_recurse(&it, &errors)) {
    while (bson_iter_next(&errors)) {
      if (!bson_iter_recurse(&errors, &entry) || !bson_iter_find(&entry, "code") ||
          bson_iter_as_int64(&entry) != 11000) {
        only_duplicates = false;
      }
    }
  } else if (!executed) {
    only_duplicates = false;  // not a write error: network, server selection, ...
  }
  outcome.all_present = executed || only_duplicates;
  return outcome;
}

}  // namespace wanderluxe
