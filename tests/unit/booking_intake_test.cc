// BookingIntake over in-memory fakes: the rules of §4.1, without servers.
#include <doctest/doctest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "wanderluxe/booking_event.h"
#include "wanderluxe/booking_intake.h"

namespace wanderluxe {
namespace {

class MemoryIdempotencyStore : public IdempotencyStore {
 public:
  struct Record {
    IdempotencyClaim::State state;
    std::string fingerprint, token, response;
  };

  Result<IdempotencyClaim> Claim(const std::string& key, const std::string& fingerprint,
                                 const std::string& token, std::chrono::milliseconds) override {
    if (down) return Status::Unavailable("redis down");
    auto [it, inserted] =
        records.try_emplace(key, Record{IdempotencyClaim::State::kInFlight, fingerprint, token, ""});
    if (inserted) return IdempotencyClaim{};
    return IdempotencyClaim{it->second.state, it->second.fingerprint, it->second.response};
  }
  Status Complete(const std::string& key, const std::string& token, const std::string& response,
                  std::chrono::milliseconds) override {
    Record& r = records.at(key);
    if (r.token != token) return Status::FailedPrecondition("not ours");
    r.state = IdempotencyClaim::State::kDone;
    r.response = response;
    return Status::Ok();
  }
  Status Release(const std::string& key, const std::string& token) override {
    auto it = records.find(key);
    if (it != records.end() && it->second.token == token) records.erase(it);
    return Status::Ok();
  }

  std::map<std::string, Record> records;
  bool down = false;
};

class RecordingProducer : public EventProducer {
 public:
  Status Publish(const OutgoingEvent& event, std::chrono::milliseconds) override {
    if (!next_error.ok()) return next_error;
    published.push_back(event);
    return Status::Ok();
  }
  Status Flush(std::chrono::milliseconds) override { return Status::Ok(); }

  std::vector<OutgoingEvent> published;
  Status next_error;
};

struct Fixture {
  MemoryIdempotencyStore idempotency;
  RecordingProducer producer;
  MetricsRegistry metrics;
  IntakeOptions options = [] {
    IntakeOptions o;
    o.limits = {{"USD", "JPY"}, 100'000'000};
    return o;
  }();
  BookingIntake intake{options, idempotency, producer, metrics};

  static IntakeRequest Request(const std::string& key, const std::string& body) {
    return {key, true, "", "application/json", body};
  }
};

const std::string kBody =
    R"({"bookingId":"b-1001","propertyId":"prop-dubai-royal","amount":5000.00,"currency":"USD"})";

std::string HeaderOf(const ApiResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST_SUITE("unit.booking_intake") {
  TEST_CASE("a valid request is published once and answered 202 with Location") {
    Fixture f;
    ApiResponse r = f.intake.Submit(Fixture::Request("k1", kBody));
    CHECK(r.status == 202);
    CHECK(HeaderOf(r, "Location") == "/api/v1/bookings/b-1001");
    REQUIRE(f.producer.published.size() == 1);
    const OutgoingEvent& e = f.producer.published[0];
    CHECK(e.key == "prop-dubai-royal");
    CHECK(e.topic == "booking.requests");
    auto decoded = DecodeBookingEvent(e.value);
    REQUIRE(decoded.ok());
    CHECK(decoded->request.amount.minor_units == 500000);
    CHECK(decoded->metadata.idempotency_key == "k1");
    auto body = nlohmann::json::parse(r.body);
    CHECK(body["status"] == "ACCEPTED");
    CHECK(body["eventId"] == decoded->event_id);
  }

  TEST_CASE("same key and payload replays the stored 202 without a second event") {
    Fixture f;
    ApiResponse first = f.intake.Submit(Fixture::Request("k1", kBody));
    // Same business payload, spelled differently.
    ApiResponse again = f.intake.Submit(Fixture::Request(
        "k1", R"({"currency":"USD","amount":5000,"propertyId":"prop-dubai-royal","bookingId":"b-1001"})"));
    CHECK(again.status == 202);
    CHECK(again.body == first.body);
    CHECK(HeaderOf(again, "Idempotent-Replayed") == "true");
    CHECK(f.producer.published.size() == 1);
  }

  TEST_CASE("same key, different payload is 422; in flight is 409 with Retry-After") {
    Fixture f;
    REQUIRE(f.intake.Submit(Fixture::Request("k1", kBody)).status == 202);
    std::string other = kBody;
    other.replace(other.find("5000.00"), 7, "5000.01");
    CHECK(f.intake.Submit(Fixture::Request("k1", other)).status == 422);

    f.idempotency.records["k2"] = {IdempotencyClaim::State::kInFlight,
                                   ParseBookingRequest(kBody, f.options.limits).request->Fingerprint(),
                                   "someone-else", ""};
    ApiResponse busy = f.intake.Submit(Fixture::Request("k2", kBody));
    CHECK(busy.status == 409);
    CHECK(HeaderOf(busy, "Retry-After") == "1");
    CHECK(f.producer.published.size() == 1);
  }

  TEST_CASE("a failed publish is 503 and releases the key so a retry can succeed") {
    Fixture f;
    f.producer.next_error = Status::DeadlineExceeded("no ack");
    ApiResponse failed = f.intake.Submit(Fixture::Request("k1", kBody));
    CHECK(failed.status == 503);
    CHECK(HeaderOf(failed, "Retry-After") == "1");
    CHECK(f.idempotency.records.empty());
    f.producer.next_error = Status::Ok();
    CHECK(f.intake.Submit(Fixture::Request("k1", kBody)).status == 202);
    CHECK(f.producer.published.size() == 1);
  }

  TEST_CASE("the idempotency store down is 503, nothing published (fail closed)") {
    Fixture f;
    f.idempotency.down = true;
    CHECK(f.intake.Submit(Fixture::Request("k1", kBody)).status == 503);
    CHECK(f.producer.published.empty());
  }

  TEST_CASE("validation errors name the key header and every bad field") {
    Fixture f;
    IntakeRequest no_key = Fixture::Request("", R"({"bookingId":"b","amount":-1,"currency":"USD"})");
    no_key.has_idempotency_key = false;
    ApiResponse r = f.intake.Submit(no_key);
    CHECK(r.status == 400);
    CHECK(r.content_type == "application/problem+json");
    auto problem = nlohmann::json::parse(r.body);
    std::vector<std::string> fields;
    for (const auto& e : problem["errors"]) fields.push_back(e["field"]);
    CHECK(fields == std::vector<std::string>{"Idempotency-Key", "propertyId", "amount"});
    CHECK(f.producer.published.empty());
  }

  TEST_CASE("content type and api keys") {
    Fixture f;
    IntakeRequest text = Fixture::Request("k", kBody);
    text.content_type = "text/plain";
    CHECK(f.intake.Submit(text).status == 415);
    IntakeRequest charset = Fixture::Request("k", kBody);
    charset.content_type = "Application/JSON; charset=utf-8";
    CHECK(f.intake.Submit(charset).status == 202);

    Fixture secured;
    IntakeOptions o = secured.options;
    o.require_api_key = true;
    o.api_keys = {"s3cret"};
    BookingIntake intake(o, secured.idempotency, secured.producer, secured.metrics);
    ApiResponse denied = intake.Submit(Fixture::Request("k", kBody));
    CHECK(denied.status == 401);
    CHECK(HeaderOf(denied, "WWW-Authenticate") == "Bearer");
    IntakeRequest wrong = Fixture::Request("k", kBody);
    wrong.authorization = "Bearer nope";
    CHECK(intake.Submit(wrong).status == 401);
    IntakeRequest right = Fixture::Request("k", kBody);
    right.authorization = "Bearer s3cret";
    CHECK(intake.Submit(right).status == 202);
  }
}

}  // namespace
}  // namespace wanderluxe
