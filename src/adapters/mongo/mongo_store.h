// A thread-safe MongoDB client over mongo-c-driver's client pool. Documents
// cross this boundary as JSON text (relaxed extended JSON); every operation is
// bounded by the configured timeout. Works against MongoDB 7 and FerretDB 1.x.
//
// Thread safety: every call may run concurrently from any thread (each
// operation borrows its own client from the pool).
#ifndef WANDERLUXE_ADAPTERS_MONGO_MONGO_STORE_H_
#define WANDERLUXE_ADAPTERS_MONGO_MONGO_STORE_H_

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

typedef struct _mongoc_client_pool_t mongoc_client_pool_t;
typedef struct _mongoc_client_t mongoc_client_t;
typedef struct _bson_error_t bson_error_t;

namespace wanderluxe {

// Operations sent to the server since the store opened, by kind (a bulk
// insert is one operation whatever its size). Benchmarks count the ledger's
// cost per booking with them.
struct MongoOperationCounts {
  int64_t inserts = 0;       // InsertOne
  int64_t bulk_inserts = 0;  // InsertManyEach, InsertManyIgnoringDuplicates
  int64_t finds = 0;         // FindById, Find
  int64_t updates = 0;       // UpdateOne
  int64_t others = 0;        // aggregations, counts, explains, indexes, drops, pings

  int64_t total() const { return inserts + bulk_inserts + finds + updates + others; }
};

class MongoStore {
 public:
  // Creates the pool and pings the server; kUnavailable if it does not answer.
  static Result<std::unique_ptr<MongoStore>> Connect(const MongoConfig& config);
  // Creates the pool without contacting the server (connections are lazy).
  static Result<std::unique_ptr<MongoStore>> Open(const MongoConfig& config);
  ~MongoStore();

  MongoStore(const MongoStore&) = delete;
  MongoStore& operator=(const MongoStore&) = delete;

  Status Ping();
  const MongoConfig& config() const { return config_; }
  MongoOperationCounts operation_counts() const;

  // kAlreadyExists when a unique index (including _id) rejects the document.
  Status InsertOne(const std::string& collection, const std::string& json);
  // Inserts every document in one unordered bulk write. A document whose _id
  // (or unique key) is taken is skipped, not an error: returns how many were
  // new. OK only when the reply accounts for every document as new or taken
  // (ReadBulkInsertReply); any other outcome is an error, and inserting the
  // same documents again is the retry.
  Result<int64_t> InsertManyIgnoringDuplicates(const std::string& collection,
                                               const std::vector<std::string>& jsons);
  // The same bulk, answering per document (in order): true when it was new,
  // false when its _id was taken.
  Result<std::vector<bool>> InsertManyEach(const std::string& collection,
                                           const std::vector<std::string>& jsons);
  // The document whose _id is `id`, or nothing.
  Result<std::optional<std::string>> FindById(const std::string& collection, const std::string& id);
  // Every document matching `filter_json`, in `sort_json` order, at most
  // `limit`, with only the fields of `projection_json` when it is not empty.
  Result<std::vector<std::string>> Find(const std::string& collection,
                                        const std::string& filter_json,
                                        const std::string& sort_json = "{}", int64_t limit = 0,
                                        const std::string& projection_json = "");
  // Updates the one document matching `filter_json`; returns how many matched (0 or 1).
  Result<int64_t> UpdateOne(const std::string& collection, const std::string& filter_json,
                            const std::string& update_json);
  // Each (filter, update) of `updates` as an update of one document, all in
  // one unordered bulk write; returns how many documents matched. An error
  // leaves any subset applied.
  Result<int64_t> UpdateEach(const std::string& collection,
                             const std::vector<std::pair<std::string, std::string>>& updates);
  // Runs an aggregation pipeline (a JSON array); every result document as JSON.
  Result<std::vector<std::string>> Aggregate(const std::string& collection,
                                             const std::string& pipeline_json);
  Result<int64_t> Count(const std::string& collection, const std::string& filter_json);
  // The server's `explain` of a find with `filter_json`, as JSON. A diagnostic:
  // FerretDB says there whether it evaluated the filter in SQL
  // ("filterPushdown") or decoded every document to evaluate it itself.
  Result<std::string> ExplainFind(const std::string& collection, const std::string& filter_json);
  Status CreateIndex(const std::string& collection, const std::string& name,
                     const std::string& keys_json, bool unique);
  Status DropCollection(const std::string& collection);

 private:
  MongoStore(MongoConfig config, mongoc_client_pool_t* pool)
      : config_(std::move(config)), pool_(pool) {}

  // Borrows a client for one operation, and gives it back.
  class BorrowedClient;
  enum Kind { kInsert, kBulkInsert, kFind, kUpdate, kOther, kKinds };
  void Count(Kind kind) { counts_[kind].fetch_add(1, std::memory_order_relaxed); }

  const MongoConfig config_;
  mongoc_client_pool_t* pool_;
  std::atomic<int64_t> counts_[kKinds] = {};
};

// A mongo-c-driver error as a Status (duplicate key -> kAlreadyExists,
// network and server selection -> kUnavailable).
Status MongoStatus(const bson_error_t& error, const std::string& context);

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_MONGO_MONGO_STORE_H_
