#include "adapters/mongo/bulk_insert_reply.h"

#include <mongoc/mongoc.h>

#include <vector>

namespace wanderluxe {
namespace {

bool IsDuplicateKey(int64_t code) { return code == 11000 || code == 11001; }

// The array `key` of `reply`, positioned before its first element; false when absent.
bool FindArray(const bson_t& reply, const char* key, bson_iter_t* elements) {
  bson_iter_t it;
  return bson_iter_init_find(&it, &reply, key) && BSON_ITER_HOLDS_ARRAY(&it) &&
         bson_iter_recurse(&it, elements);
}

// A write error's "index" (the document's place in the bulk) and "code"; -1 when missing.
void ReadWriteError(bson_iter_t& element, int64_t* index, int64_t* code) {
  *index = -1;
  *code = -1;
  bson_iter_t field;
  if (!BSON_ITER_HOLDS_DOCUMENT(&element) || !bson_iter_recurse(&element, &field)) return;
  while (bson_iter_next(&field)) {
    if (BSON_ITER_IS_KEY(&field, "index")) *index = bson_iter_as_int64(&field);
    if (BSON_ITER_IS_KEY(&field, "code")) *code = bson_iter_as_int64(&field);
  }
}

}  // namespace

BulkInsertOutcome ReadBulkInsertReply(bool executed, const bson_error_t& error, const bson_t& reply,
                                      size_t documents) {
  BulkInsertOutcome outcome;
  bson_iter_t it;
  if (bson_iter_init_find(&it, &reply, "nInserted")) outcome.inserted = bson_iter_as_int64(&it);

  // Each document refused as a duplicate counts once, however often reported.
  std::vector<bool>& duplicate = outcome.taken;
  duplicate.assign(documents, false);
  int64_t other_write_errors = 0;
  bson_iter_t elements;
  if (FindArray(reply, "writeErrors", &elements)) {
    while (bson_iter_next(&elements)) {
      int64_t index, code;
      ReadWriteError(elements, &index, &code);
      const bool known = index >= 0 && static_cast<size_t>(index) < documents;
      if (IsDuplicateKey(code) && known && !duplicate[index]) {
        duplicate[index] = true;
        ++outcome.duplicates;
      } else if (!IsDuplicateKey(code) || !known) {
        ++other_write_errors;
      }
    }
  }
  int64_t write_concern_errors = 0;
  if (FindArray(reply, "writeConcernErrors", &elements)) {
    while (bson_iter_next(&elements)) ++write_concern_errors;
  }

  const bool accounted = outcome.inserted + outcome.duplicates == static_cast<int64_t>(documents);
  const bool error_is_duplicates =
      executed || ((error.domain == MONGOC_ERROR_SERVER || error.domain == MONGOC_ERROR_COMMAND) &&
                   IsDuplicateKey(error.code));
  outcome.all_present =
      accounted && other_write_errors == 0 && write_concern_errors == 0 && error_is_duplicates;
  if (!outcome.all_present) {
    outcome.failure = std::to_string(outcome.inserted) + " new and " +
                      std::to_string(outcome.duplicates) + " already there of " +
                      std::to_string(documents) + " sent";
    if (other_write_errors > 0)
      outcome.failure += ", " + std::to_string(other_write_errors) + " other write error(s)";
    if (write_concern_errors > 0) outcome.failure += ", a write concern error";
    if (!executed) outcome.failure += ": " + std::string(error.message);
  }
  return outcome;
}

}  // namespace wanderluxe
