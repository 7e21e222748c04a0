// MongoStatus: which server answers are an outage (kUnavailable: retried
// forever, the offset held) and which are this booking's own failure
// (kInternal: retried saga.max_attempts times, then parked).
#include <doctest/doctest.h>
#include <mongoc/mongoc.h>

#include <cstring>
#include <string>

#include "adapters/mongo/mongo_store.h"

namespace wanderluxe {
namespace {

bson_error_t Error(uint32_t domain, uint32_t code, const std::string& message) {
  bson_error_t e{};
  e.domain = domain;
  e.code = code;
  std::strncpy(e.message, message.c_str(), sizeof e.message - 1);
  return e;
}

TEST_SUITE("unit.mongo_status") {
  TEST_CASE("FerretDB without its PostgreSQL is an outage, not the booking's failure") {
    // What FerretDB 1.24 answered for every command while its PostgreSQL was
    // SIGKILLed (drill.postgres_kill): InternalError, code 1.
    const bson_error_t e =
        Error(MONGOC_ERROR_SERVER, 1,
              "failed to connect to `host=127.0.0.1 user=postgres database=ferretdb`: dial error "
              "(dial tcp 127.0.0.1:5433: connect: connection refused)");
    CHECK(MongoStatus(e, "update").code() == StatusCode::kUnavailable);
  }

  TEST_CASE("the server's retryable codes are an outage") {
    for (uint32_t code :
         {6u, 7u, 89u, 91u, 189u, 262u, 9001u, 10107u, 11600u, 11602u, 13435u, 13436u}) {
      CAPTURE(code);
      CHECK(MongoStatus(Error(MONGOC_ERROR_SERVER, code, "x"), "op").code() ==
            StatusCode::kUnavailable);
    }
  }

  TEST_CASE("network and server selection are an outage; duplicates and the rest are not") {
    CHECK(
        MongoStatus(Error(MONGOC_ERROR_STREAM, MONGOC_ERROR_STREAM_SOCKET, "reset"), "op").code() ==
        StatusCode::kUnavailable);
    CHECK(MongoStatus(Error(MONGOC_ERROR_SERVER_SELECTION, MONGOC_ERROR_SERVER_SELECTION_FAILURE,
                            "no suitable servers"),
                      "op")
              .code() == StatusCode::kUnavailable);
    CHECK(MongoStatus(Error(MONGOC_ERROR_SERVER, 11000, "E11000 duplicate key"), "op").code() ==
          StatusCode::kAlreadyExists);
    // A bad document or an unsupported operator is this request's own
    // failure: retrying it forever would hold the partition for nothing.
    CHECK(MongoStatus(Error(MONGOC_ERROR_SERVER, 2, "BadValue"), "op").code() ==
          StatusCode::kInternal);
    CHECK(MongoStatus(Error(MONGOC_ERROR_SERVER, 1, "panic: nil map"), "op").code() ==
          StatusCode::kInternal);
  }
}

}  // namespace
}  // namespace wanderluxe
