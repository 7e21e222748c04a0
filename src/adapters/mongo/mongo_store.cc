#include "adapters/mongo/mongo_store.h"

#include <mongoc/mongoc.h>

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>
#include <string_view>
#include <utility>

#include "adapters/mongo/bulk_insert_reply.h"

namespace wanderluxe {
namespace {

// Owns a heap bson_t. (unique_ptr<bson_t> would drop bson_t's alignment attribute.)
class Bson {
 public:
  explicit Bson(bson_t* doc) : doc_(doc) {}
  Bson(Bson&& other) noexcept : doc_(std::exchange(other.doc_, nullptr)) {}
  Bson& operator=(Bson&&) = delete;
  ~Bson() {
    if (doc_ != nullptr) bson_destroy(doc_);
  }
  bson_t* get() const { return doc_; }

 private:
  bson_t* doc_;
};

struct CollectionDeleter {
  void operator()(mongoc_collection_t* c) const { mongoc_collection_destroy(c); }
};
using Collection = std::unique_ptr<mongoc_collection_t, CollectionDeleter>;

// The driver's own log lines, through spdlog. FerretDB 1.x lacks endSessions,
// which the driver sends on every pool shutdown: that warning is expected.
void LogFromDriver(mongoc_log_level_t level, const char* domain, const char* message, void*) {
  if (std::strstr(message, "endSessions") != nullptr) return;
  if (level <= MONGOC_LOG_LEVEL_ERROR) {
    spdlog::error("mongoc {}: {}", domain, message);
  } else if (level == MONGOC_LOG_LEVEL_WARNING) {
    spdlog::warn("mongoc {}: {}", domain, message);
  } else {
    spdlog::debug("mongoc {}: {}", domain, message);
  }
}

void InitDriverOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    mongoc_init();
    mongoc_log_set_handler(LogFromDriver, nullptr);
  });
}

Result<Bson> ParseJson(const std::string& json, const std::string& context) {
  bson_error_t error;
  bson_t* doc = bson_new_from_json(reinterpret_cast<const uint8_t*>(json.data()),
                                   static_cast<ssize_t>(json.size()), &error);
  if (doc == nullptr) return Status::InvalidArgument(context + ": bad JSON: " + error.message);
  return Bson(doc);
}

std::string ToJson(const bson_t* doc) {
  char* text = bson_as_relaxed_extended_json(doc, nullptr);
  std::string out(text);
  bson_free(text);
  return out;
}

// The driver could not reach a server (network, server selection, client).
bool IsUnreachable(const bson_error_t& error) {
  return error.domain == MONGOC_ERROR_STREAM || error.domain == MONGOC_ERROR_SERVER_SELECTION ||
         error.domain == MONGOC_ERROR_CLIENT;
}

// The server answered, but for an outage of its own: MongoDB's retryable
// codes (HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress,
// PrimarySteppedDown, ExceededTimeLimit, SocketException, NotWritablePrimary,
// InterruptedAtShutdown, InterruptedDueToReplStateChange, NotPrimary*), and
// FerretDB's InternalError (1) when it cannot reach its PostgreSQL. Any other
// InternalError stays this operation's own failure.
bool IsServerOutage(const bson_error_t& error) {
  static const std::set<uint32_t> kRetryable = {6,    7,     89,    91,    189,   262,
                                                9001, 10107, 11600, 11602, 13435, 13436};
  if (kRetryable.count(error.code)) return true;
  constexpr uint32_t kInternalError = 1;
  const std::string_view message(error.message);
  return error.code == kInternalError &&
         (message.find("failed to connect") != std::string_view::npos ||
          message.find("connection refused") != std::string_view::npos ||
          message.find("conn closed") != std::string_view::npos ||
          message.find("unexpected EOF") != std::string_view::npos);
}

}  // namespace

Status MongoStatus(const bson_error_t& error, const std::string& context) {
  const std::string message = context + ": " + error.message;
  if (error.code == 11000 || error.code == 11001) return Status::AlreadyExists(message);
  return IsUnreachable(error) || IsServerOutage(error) ? Status::Unavailable(message)
                                                       : Status::Internal(message);
}

class MongoStore::BorrowedClient {
 public:
  explicit BorrowedClient(mongoc_client_pool_t* pool)
      : pool_(pool), client_(mongoc_client_pool_pop(pool)) {}
  ~BorrowedClient() { mongoc_client_pool_push(pool_, client_); }
  Collection collection(const std::string& db, const std::string& name) {
    return Collection(mongoc_client_get_collection(client_, db.c_str(), name.c_str()));
  }
  mongoc_client_t* client() { return client_; }

 private:
  mongoc_client_pool_t* pool_;
  mongoc_client_t* client_;
};

Result<std::unique_ptr<MongoStore>> MongoStore::Connect(const MongoConfig& config) {
  auto store = Open(config);
  if (!store.ok()) return store.status();
  Status s = (*store)->Ping();
  if (!s.ok()) return s;
  return store;
}

Result<std::unique_ptr<MongoStore>> MongoStore::Open(const MongoConfig& config) {
  InitDriverOnce();
  bson_error_t error;
  mongoc_uri_t* uri = mongoc_uri_new_with_error(config.uri.c_str(), &error);
  if (uri == nullptr) return Status::InvalidArgument("mongo.uri: " + std::string(error.message));
  // Every operation is bounded: selection, connect and socket reads.
  const auto timeout = static_cast<int32_t>(config.timeout_ms);
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, timeout);
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, timeout);
  mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, timeout);
  mongoc_client_pool_t* pool = mongoc_client_pool_new(uri);
  mongoc_uri_destroy(uri);
  if (pool == nullptr) return Status::InvalidArgument("mongo.uri: cannot create a client pool");
  mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
  mongoc_client_pool_max_size(pool, static_cast<uint32_t>(config.pool_max));
  return std::unique_ptr<MongoStore>(new MongoStore(config, pool));
}

MongoStore::~MongoStore() { mongoc_client_pool_destroy(pool_); }

MongoOperationCounts MongoStore::operation_counts() const {
  auto n = [this](Kind k) { return counts_[k].load(std::memory_order_relaxed); };
  return {n(kInsert), n(kBulkInsert), n(kFind), n(kUpdate), n(kOther)};
}

Status MongoStore::Ping() {
  Count(kOther);
  BorrowedClient borrowed(pool_);
  Bson command(BCON_NEW("ping", BCON_INT32(1)));
  bson_error_t error;
  bson_t reply;
  bool ok = mongoc_client_command_simple(borrowed.client(), "admin", command.get(), nullptr, &reply,
                                         &error);
  bson_destroy(&reply);
  if (!ok) return MongoStatus(error, "mongo ping");
  return Status::Ok();
}

Status MongoStore::InsertOne(const std::string& collection, const std::string& json) {
  auto doc = ParseJson(json, "insert into " + collection);
  if (!doc.ok()) return doc.status();
  Count(kInsert);
  BorrowedClient borrowed(pool_);
  bson_error_t error;
  if (!mongoc_collection_insert_one(borrowed.collection(config_.database, collection).get(),
                                    doc->get(), nullptr, nullptr, &error)) {
    return MongoStatus(error, "insert into " + collection);
  }
  return Status::Ok();
}

Result<int64_t> MongoStore::InsertManyIgnoringDuplicates(const std::string& collection,
                                                         const std::vector<std::string>& jsons) {
  auto each = InsertManyEach(collection, jsons);
  if (!each.ok()) return each.status();
  return static_cast<int64_t>(std::count(each->begin(), each->end(), true));
}

namespace {

using UnorderedBulk = std::unique_ptr<mongoc_bulk_operation_t, void (*)(mongoc_bulk_operation_t*)>;

// A bulk write whose operations do not stop at the first that fails.
UnorderedBulk NewUnorderedBulk(mongoc_collection_t* coll) {
  Bson opts(BCON_NEW("ordered", BCON_BOOL(false)));
  return UnorderedBulk(mongoc_collection_create_bulk_operation_with_opts(coll, opts.get()),
                       mongoc_bulk_operation_destroy);
}

}  // namespace

Result<std::vector<bool>> MongoStore::InsertManyEach(const std::string& collection,
                                                     const std::vector<std::string>& jsons) {
  if (jsons.empty()) return std::vector<bool>();
  Count(kBulkInsert);
  BorrowedClient borrowed(pool_);
  auto coll = borrowed.collection(config_.database, collection);
  UnorderedBulk bulk = NewUnorderedBulk(coll.get());
  bson_error_t error;
  for (const auto& json : jsons) {
    auto doc = ParseJson(json, "insert into " + collection);
    if (!doc.ok()) return doc.status();
    if (!mongoc_bulk_operation_insert_with_opts(bulk.get(), doc->get(), nullptr, &error)) {
      return MongoStatus(error, "insert into " + collection);
    }
  }
  bson_t reply;
  const bool executed = mongoc_bulk_operation_execute(bulk.get(), &reply, &error) != 0;
  const BulkInsertOutcome outcome = ReadBulkInsertReply(executed, error, reply, jsons.size());
  bson_destroy(&reply);
  if (!outcome.all_present) {
    // Some document is not known to be stored: the caller retries the whole
    // bulk, and finds the stored ones as duplicates.
    const std::string message = "bulk insert into " + collection + ": " + outcome.failure;
    return !executed && IsUnreachable(error) ? Status::Unavailable(message)
                                             : Status::Internal(message);
  }
  std::vector<bool> inserted(jsons.size());
  for (size_t i = 0; i < jsons.size(); ++i) inserted[i] = !outcome.taken[i];
  return inserted;
}

Result<std::optional<std::string>> MongoStore::FindById(const std::string& collection,
                                                        const std::string& id) {
  Bson filter(BCON_NEW("_id", BCON_UTF8(id.c_str())));
  Bson opts(BCON_NEW("limit", BCON_INT64(1)));
  Count(kFind);
  BorrowedClient borrowed(pool_);
  auto coll = borrowed.collection(config_.database, collection);
  mongoc_cursor_t* cursor =
      mongoc_collection_find_with_opts(coll.get(), filter.get(), opts.get(), nullptr);
  const bson_t* doc = nullptr;
  std::optional<std::string> found;
  if (mongoc_cursor_next(cursor, &doc)) found = ToJson(doc);
  bson_error_t error;
  const bool failed = mongoc_cursor_error(cursor, &error);
  mongoc_cursor_destroy(cursor);
  if (failed) return MongoStatus(error, "find in " + collection);
  return found;
}

Result<std::vector<std::string>> MongoStore::Find(const std::string& collection,
                                                  const std::string& filter_json,
                                                  const std::string& sort_json, int64_t limit,
                                                  const std::string& projection_json) {
  auto filter = ParseJson(filter_json, "find filter");
  if (!filter.ok()) return filter.status();
  auto sort = ParseJson(sort_json, "find sort");
  if (!sort.ok()) return sort.status();
  Bson opts(bson_new());
  BSON_APPEND_DOCUMENT(opts.get(), "sort", sort->get());
  if (limit > 0) BSON_APPEND_INT64(opts.get(), "limit", limit);
  if (!projection_json.empty()) {
    auto projection = ParseJson(projection_json, "find projection");
    if (!projection.ok()) return projection.status();
    BSON_APPEND_DOCUMENT(opts.get(), "projection", projection->get());
  }
  Count(kFind);
  BorrowedClient borrowed(pool_);
  auto coll = borrowed.collection(config_.database, collection);
  mongoc_cursor_t* cursor =
      mongoc_collection_find_with_opts(coll.get(), filter->get(), opts.get(), nullptr);
  std::vector<std::string> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor, &doc)) out.push_back(ToJson(doc));
  bson_error_t error;
  const bool failed = mongoc_cursor_error(cursor, &error);
  mongoc_cursor_destroy(cursor);
  if (failed) return MongoStatus(error, "find in " + collection);
  return out;
}

Result<int64_t> MongoStore::UpdateOne(const std::string& collection, const std::string& filter_json,
                                      const std::string& update_json) {
  auto filter = ParseJson(filter_json, "update filter");
  if (!filter.ok()) return filter.status();
  auto update = ParseJson(update_json, "update");
  if (!update.ok()) return update.status();
  Count(kUpdate);
  BorrowedClient borrowed(pool_);
  bson_t reply;
  bson_error_t error;
  const bool ok =
      mongoc_collection_update_one(borrowed.collection(config_.database, collection).get(),
                                   filter->get(), update->get(), nullptr, &reply, &error);
  int64_t matched = 0;
  bson_iter_t it;
  if (ok && bson_iter_init_find(&it, &reply, "matchedCount")) matched = bson_iter_as_int64(&it);
  bson_destroy(&reply);
  if (!ok) return MongoStatus(error, "update in " + collection);
  return matched;
}

Result<int64_t> MongoStore::UpdateEach(
    const std::string& collection,
    const std::vector<std::pair<std::string, std::string>>& updates) {
  if (updates.empty()) return int64_t{0};
  Count(kUpdate);
  BorrowedClient borrowed(pool_);
  auto coll = borrowed.collection(config_.database, collection);
  UnorderedBulk bulk = NewUnorderedBulk(coll.get());
  bson_error_t error;
  for (const auto& [filter_json, update_json] : updates) {
    auto filter = ParseJson(filter_json, "update filter");
    if (!filter.ok()) return filter.status();
    auto update = ParseJson(update_json, "update");
    if (!update.ok()) return update.status();
    if (!mongoc_bulk_operation_update_one_with_opts(bulk.get(), filter->get(), update->get(),
                                                    nullptr, &error)) {
      return MongoStatus(error, "update in " + collection);
    }
  }
  bson_t reply;
  const bool ok = mongoc_bulk_operation_execute(bulk.get(), &reply, &error) != 0;
  int64_t matched = 0;
  bson_iter_t it;
  if (ok && bson_iter_init_find(&it, &reply, "nMatched")) matched = bson_iter_as_int64(&it);
  bson_destroy(&reply);
  if (!ok) return MongoStatus(error, "bulk update in " + collection);
  return matched;
}

Result<std::vector<std::string>> MongoStore::Aggregate(const std::string& collection,
                                                       const std::string& pipeline_json) {
  auto pipeline = ParseJson("{\"pipeline\":" + pipeline_json + "}", "aggregate pipeline");
  if (!pipeline.ok()) return pipeline.status();
  Count(kOther);
  BorrowedClient borrowed(pool_);
  auto coll = borrowed.collection(config_.database, collection);
  mongoc_cursor_t* cursor =
      mongoc_collection_aggregate(coll.get(), MONGOC_QUERY_NONE, pipeline->get(), nullptr, nullptr);
  std::vector<std::string> out;
  const bson_t* doc = nullptr;
  while (mongoc_cursor_next(cursor, &doc)) out.push_back(ToJson(doc));
  bson_error_t error;
  const bool failed = mongoc_cursor_error(cursor, &error);
  mongoc_cursor_destroy(cursor);
  if (failed) return MongoStatus(error, "aggregate on " + collection);
  return out;
}

Result<int64_t> MongoStore::Count(const std::string& collection, const std::string& filter_json) {
  auto filter = ParseJson(filter_json, "count filter");
  if (!filter.ok()) return filter.status();
  Count(kOther);
  BorrowedClient borrowed(pool_);
  bson_error_t error;
  const int64_t n =
      mongoc_collection_count_documents(borrowed.collection(config_.database, collection).get(),
                                        filter->get(), nullptr, nullptr, nullptr, &error);
  if (n < 0) return MongoStatus(error, "count in " + collection);
  return n;
}

Result<std::string> MongoStore::ExplainFind(const std::string& collection,
                                            const std::string& filter_json) {
  auto filter = ParseJson(filter_json, "explain filter");
  if (!filter.ok()) return filter.status();
  Bson find(bson_new());
  BSON_APPEND_UTF8(find.get(), "find", collection.c_str());
  BSON_APPEND_DOCUMENT(find.get(), "filter", filter->get());
  Bson command(bson_new());
  BSON_APPEND_DOCUMENT(command.get(), "explain", find.get());
  Count(kOther);
  BorrowedClient borrowed(pool_);
  bson_t reply;
  bson_error_t error;
  const bool ok = mongoc_client_command_simple(borrowed.client(), config_.database.c_str(),
                                               command.get(), nullptr, &reply, &error);
  std::string json = ToJson(&reply);
  bson_destroy(&reply);
  if (!ok) return MongoStatus(error, "explain on " + collection);
  return json;
}

Status MongoStore::CreateIndex(const std::string& collection, const std::string& name,
                               const std::string& keys_json, bool unique) {
  auto keys = ParseJson(keys_json, "index keys");
  if (!keys.ok()) return keys.status();
  Bson index(bson_new());
  BSON_APPEND_DOCUMENT(index.get(), "key", keys->get());
  BSON_APPEND_UTF8(index.get(), "name", name.c_str());
  if (unique) BSON_APPEND_BOOL(index.get(), "unique", true);
  Bson command(bson_new());
  BSON_APPEND_UTF8(command.get(), "createIndexes", collection.c_str());
  bson_t indexes;
  BSON_APPEND_ARRAY_BEGIN(command.get(), "indexes", &indexes);
  BSON_APPEND_DOCUMENT(&indexes, "0", index.get());
  bson_append_array_end(command.get(), &indexes);
  Count(kOther);
  BorrowedClient borrowed(pool_);
  bson_error_t error;
  bson_t reply;
  const bool ok = mongoc_client_command_simple(borrowed.client(), config_.database.c_str(),
                                               command.get(), nullptr, &reply, &error);
  bson_destroy(&reply);
  if (!ok) return MongoStatus(error, "create index " + name + " on " + collection);
  return Status::Ok();
}

Status MongoStore::DropCollection(const std::string& collection) {
  Count(kOther);
  BorrowedClient borrowed(pool_);
  bson_error_t error;
  if (!mongoc_collection_drop(borrowed.collection(config_.database, collection).get(), &error)) {
    // Dropping what is not there is success for our purposes.
    if (error.code == 26 || std::string(error.message).find("not found") != std::string::npos) {
      return Status::Ok();
    }
    return MongoStatus(error, "drop " + collection);
  }
  return Status::Ok();
}

}  // namespace wanderluxe
