// ReadBulkInsertReply against the replies libmongoc 1.23 really produces
// (mongoc-write-command.c, _mongoc_write_result_complete): a bulk's reply
// always carries "writeErrors", empty when the failure was not a write error,
// and the bson_error_t of a failed bulk is overwritten by the first write
// error's code even when a network error stopped the bulk.
#include <doctest/doctest.h>
#include <mongoc/mongoc.h>

#include <string>

#include "adapters/mongo/bulk_insert_reply.h"

namespace wanderluxe {
namespace {

// Owns a bson_t parsed from JSON.
class Reply {
 public:
  explicit Reply(const std::string& json) {
    bson_error_t error;
    REQUIRE(bson_init_from_json(&doc_, json.c_str(), static_cast<ssize_t>(json.size()), &error));
  }
  ~Reply() { bson_destroy(&doc_); }
  const bson_t& get() const { return doc_; }

 private:
  bson_t doc_;
};

// The counters libmongoc appends to every acknowledged bulk reply.
std::string Counters(int inserted) {
  return R"("nInserted":)" + std::to_string(inserted) +
         R"(,"nMatched":0,"nModified":0,"nRemoved":0,"nUpserted":0)";
}

std::string Duplicate(int index) {
  return R"({"index":)" + std::to_string(index) +
         R"(,"code":11000,"errmsg":"E11000 duplicate key error"})";
}

bson_error_t Error(uint32_t domain, uint32_t code, const char* message) {
  bson_error_t error;
  bson_set_error(&error, domain, code, "%s", message);
  return error;
}

const bson_error_t kNoError = {};
constexpr size_t kBatch = 5;

TEST_SUITE("unit.mongo_bulk") {
  TEST_CASE("every document inserted: all present") {
    Reply reply("{" + Counters(5) + R"(,"writeErrors":[]})");
    const BulkInsertOutcome outcome = ReadBulkInsertReply(true, kNoError, reply.get(), kBatch);
    CHECK(outcome.all_present);
    CHECK(outcome.inserted == 5);
  }

  TEST_CASE("the connection died mid-bulk (empty writeErrors, stream error): not stored") {
    Reply reply("{" + Counters(0) + R"(,"writeErrors":[]})");
    const bson_error_t error =
        Error(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET, "socket error or timeout");
    CHECK_FALSE(ReadBulkInsertReply(false, error, reply.get(), kBatch).all_present);
  }

  TEST_CASE("part of the bulk stored before the connection died: not stored") {
    Reply reply("{" + Counters(2) + R"(,"writeErrors":[]})");
    const bson_error_t error =
        Error(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET, "socket error or timeout");
    CHECK_FALSE(ReadBulkInsertReply(false, error, reply.get(), kBatch).all_present);
  }

  TEST_CASE("no server selected (empty reply, or empty writeErrors): not stored") {
    const bson_error_t error = Error(MONGOC_ERROR_SERVER_SELECTION,
                                     MONGOC_ERROR_SERVER_SELECTION_FAILURE, "No suitable servers");
    Reply empty("{}");
    CHECK_FALSE(ReadBulkInsertReply(false, error, empty.get(), kBatch).all_present);
    Reply counters("{" + Counters(0) + R"(,"writeErrors":[]})");
    CHECK_FALSE(ReadBulkInsertReply(false, error, counters.get(), kBatch).all_present);
  }

  TEST_CASE("the server failed the whole command (FerretDB without its PostgreSQL): not stored") {
    Reply reply("{" + Counters(0) + R"(,"writeErrors":[]})");
    const bson_error_t error = Error(MONGOC_ERROR_SERVER, 1, "connection refused");
    CHECK_FALSE(ReadBulkInsertReply(false, error, reply.get(), kBatch).all_present);
  }

  TEST_CASE("only duplicate-key errors, every document accounted for: all present") {
    Reply reply("{" + Counters(3) + R"(,"writeErrors":[)" + Duplicate(1) + "," + Duplicate(3) +
                "]}");
    const bson_error_t error = Error(MONGOC_ERROR_SERVER, 11000, "E11000 duplicate key error");
    const BulkInsertOutcome outcome = ReadBulkInsertReply(false, error, reply.get(), kBatch);
    CHECK(outcome.all_present);
    CHECK(outcome.inserted == 3);
  }

  TEST_CASE("duplicates, then the connection died (error code overwritten to 11000): not stored") {
    Reply reply("{" + Counters(1) + R"(,"writeErrors":[)" + Duplicate(0) + "]}");
    const bson_error_t error = Error(MONGOC_ERROR_SERVER, 11000, "E11000 duplicate key error");
    CHECK_FALSE(ReadBulkInsertReply(false, error, reply.get(), kBatch).all_present);
  }

  TEST_CASE("a duplicate and another write error: not stored") {
    Reply reply("{" + Counters(3) + R"(,"writeErrors":[)" + Duplicate(1) +
                R"(,{"index":3,"code":121,"errmsg":"Document failed validation"}]})");
    const bson_error_t error = Error(MONGOC_ERROR_SERVER, 11000, "Multiple write errors");
    CHECK_FALSE(ReadBulkInsertReply(false, error, reply.get(), kBatch).all_present);
  }

  TEST_CASE("a write error without a code: not stored") {
    Reply reply("{" + Counters(4) + R"(,"writeErrors":[{"index":2,"errmsg":"?"}]})");
    const bson_error_t error = Error(MONGOC_ERROR_SERVER, 11000, "E11000 duplicate key error");
    CHECK_FALSE(ReadBulkInsertReply(false, error, reply.get(), kBatch).all_present);
  }

  TEST_CASE("a write concern error: not known to be durable") {
    Reply reply(
        "{" + Counters(5) +
        R"(,"writeErrors":[],"writeConcernErrors":[{"code":64,"errmsg":"waiting for replication timed out"}]})");
    const bson_error_t error =
        Error(MONGOC_ERROR_WRITE_CONCERN, 64, "waiting for replication timed out");
    CHECK_FALSE(ReadBulkInsertReply(false, error, reply.get(), kBatch).all_present);
  }

  TEST_CASE("fewer inserted than sent and no error at all: not stored") {
    Reply reply("{" + Counters(4) + R"(,"writeErrors":[]})");
    CHECK_FALSE(ReadBulkInsertReply(true, kNoError, reply.get(), kBatch).all_present);
  }

  TEST_CASE("the same duplicate reported twice does not count twice") {
    Reply reply("{" + Counters(3) + R"(,"writeErrors":[)" + Duplicate(1) + "," + Duplicate(1) +
                "]}");
    const bson_error_t error = Error(MONGOC_ERROR_SERVER, 11000, "Multiple write errors");
    CHECK_FALSE(ReadBulkInsertReply(false, error, reply.get(), kBatch).all_present);
  }
}

}  // namespace
}  // namespace wanderluxe
