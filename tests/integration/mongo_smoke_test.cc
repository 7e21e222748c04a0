// Insert, find and a unique-index violation through our own Mongo adapter,
// against the live FerretDB (or MongoDB).
#include <doctest/doctest.h>

#include "adapters/mongo/mongo_store.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

std::unique_ptr<MongoStore> ConnectOrFail(const Config& config) {
  auto store = MongoStore::Connect(config.mongo);
  REQUIRE_MESSAGE(store.ok(), "MongoDB/FerretDB at ", config.mongo.uri,
                  " is not answering: ", store.status().ToString(),
                  " -- start it with scripts/stack up");
  return std::move(*store);
}

TEST_SUITE("integration.mongo") {
  TEST_CASE("insert, find by id, and a duplicate _id is kAlreadyExists") {
    auto mongo = ConnectOrFail(testing::LiveConfig());
    const std::string collection = testing::UniqueName("smoke_docs");
    REQUIRE(mongo->InsertOne(collection, R"({"_id":"b-1","status":"PENDING","version":1})").ok());
    auto found = mongo->FindById(collection, "b-1");
    REQUIRE_MESSAGE(found.ok(), found.status().ToString());
    REQUIRE(found->has_value());
    CHECK(found->value().find("\"PENDING\"") != std::string::npos);
    CHECK_FALSE(mongo->FindById(collection, "b-404")->has_value());

    Status dup = mongo->InsertOne(collection, R"({"_id":"b-1","status":"OTHER"})");
    CHECK(dup.code() == StatusCode::kAlreadyExists);
    CHECK(mongo->DropCollection(collection).ok());
  }

  TEST_CASE("a bulk insert skips documents already there and counts the new ones") {
    auto mongo = ConnectOrFail(testing::LiveConfig());
    const std::string collection = testing::UniqueName("smoke_bulk");
    auto first =
        mongo->InsertManyIgnoringDuplicates(collection, {R"({"_id":"a"})", R"({"_id":"b"})"});
    REQUIRE_MESSAGE(first.ok(), first.status().ToString());
    CHECK(*first == 2);
    // A redelivered batch: b is archived already, c is new.
    auto again =
        mongo->InsertManyIgnoringDuplicates(collection, {R"({"_id":"b","v":2})", R"({"_id":"c"})"});
    REQUIRE_MESSAGE(again.ok(), again.status().ToString());
    CHECK(*again == 1);
    auto count = mongo->Count(collection, "{}");
    REQUIRE(count.ok());
    CHECK(*count == 3);
    CHECK(mongo->FindById(collection, "b")->value().find("\"v\"") ==
          std::string::npos);  // not overwritten
    CHECK(mongo->InsertManyIgnoringDuplicates(collection, {"not json"}).status().code() ==
          StatusCode::kInvalidArgument);
    CHECK(mongo->DropCollection(collection).ok());
  }

  TEST_CASE("a unique secondary index rejects a second document with the same key") {
    auto mongo = ConnectOrFail(testing::LiveConfig());
    const std::string collection = testing::UniqueName("smoke_unique");
    Status indexed = mongo->CreateIndex(collection, "eventId_unique", R"({"eventId":1})", true);
    REQUIRE_MESSAGE(indexed.ok(), indexed.ToString());
    REQUIRE(mongo->InsertOne(collection, R"({"_id":"a","eventId":"e-1"})").ok());
    CHECK(mongo->InsertOne(collection, R"({"_id":"b","eventId":"e-1"})").code() ==
          StatusCode::kAlreadyExists);
    CHECK(mongo->Count(collection, "{}").value() == 1);
    CHECK(mongo->DropCollection(collection).ok());
  }

  TEST_CASE("a conditional update matches only the expected version") {
    auto mongo = ConnectOrFail(testing::LiveConfig());
    const std::string collection = testing::UniqueName("smoke_cas");
    REQUIRE(mongo->InsertOne(collection, R"({"_id":"b-2","status":"PENDING","version":1})").ok());
    auto stale = mongo->UpdateOne(collection, R"({"_id":"b-2","version":7})",
                                  R"({"$set":{"status":"RESERVED"},"$inc":{"version":1}})");
    REQUIRE(stale.ok());
    CHECK(*stale == 0);
    auto fresh = mongo->UpdateOne(collection, R"({"_id":"b-2","version":1})",
                                  R"({"$set":{"status":"RESERVED"},"$inc":{"version":1}})");
    REQUIRE(fresh.ok());
    CHECK(*fresh == 1);
    CHECK(mongo->Count(collection, R"({"status":"RESERVED","version":2})").value() == 1);
    CHECK(mongo->DropCollection(collection).ok());
  }
}

}  // namespace
}  // namespace wanderluxe
