// How one unordered insert bulk ended, read from what
// mongoc_bulk_operation_execute returned: whether it succeeded, its
// bson_error_t and its reply document. Pure: no server, so every reply the
// driver can produce is testable (tests/unit/bulk_insert_reply_test.cc).
#ifndef WANDERLUXE_ADAPTERS_MONGO_BULK_INSERT_REPLY_H_
#define WANDERLUXE_ADAPTERS_MONGO_BULK_INSERT_REPLY_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

typedef struct _bson_t bson_t;
typedef struct _bson_error_t bson_error_t;

namespace wanderluxe {

struct BulkInsertOutcome {
  bool all_present = false;  // every document is in the collection: new, or already there
  int64_t inserted = 0;      // documents the server reported as new
  int64_t duplicates = 0;    // documents refused because their _id is taken
  std::vector<bool> taken;   // per document, in bulk order: refused as a duplicate
  std::string failure;       // when not all_present: what the reply said, for the log
};

// Every document is present only when the reply accounts for each one: the
// new ones (nInserted) plus one duplicate-key write error per other document,
// no other write error, no write concern error, and a bulk error (if any)
// that is those duplicates. Anything else is a failure to retry: libmongoc
// answers a connection that died mid-bulk with an empty "writeErrors" array
// and a stream error, and overwrites that error with the first write error's
// code when some duplicates came back before the connection died.
BulkInsertOutcome ReadBulkInsertReply(bool executed, const bson_error_t& error, const bson_t& reply,
                                      size_t documents);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_MONGO_BULK_INSERT_REPLY_H_
