// BookingIntake over in-memory fakes: the rules of §4.1, without servers.
#include <doctest/doctest.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>

#include "fakes/fake_ports.h"
#include "wanderluxe/booking_event.h"
#include "wanderluxe/booking_intake.h"
#include "wanderluxe/booking_view.h"

namespace wanderluxe {
namespace {

// How long a test waits for an answer the fakes give at once, or once a
// held report is delivered: generous, it only bounds a broken intake.
constexpr std::chrono::seconds kAnswerBound{5};

// A producer as the tests script it: it acknowledges at once (or fails with
// `next_error`), or, with `hold_reports`, keeps each message's callback until
// the test delivers its report, as Kafka does after a while.
class RecordingProducer : public EventProducer {
 public:
  void PublishAsync(OutgoingEvent event, PublishCallback done) override {
    if (during_publish) during_publish();
    std::unique_lock lock(mu_);
    if (hold_reports) {
      held_.push_back({std::move(event), std::move(done)});
      return;
    }
    const Status status = next_error;
    if (status.ok()) published.push_back(std::move(event));
    lock.unlock();
    done(status);
  }
  Status Publish(const OutgoingEvent&, std::chrono::milliseconds) override {
    return Status::Internal("the intake publishes asynchronously");
  }
  Status Flush(std::chrono::milliseconds) override { return Status::Ok(); }
  Status Ping(std::chrono::milliseconds) override { return Status::Ok(); }

  // Delivers the report of the oldest held message (OK: it is published).
  void Report(const Status& status) {
    std::unique_lock lock(mu_);
    REQUIRE_MESSAGE(!held_.empty(), "no report is held");
    Held next = std::move(held_.front());
    held_.pop_front();
    if (status.ok()) published.push_back(std::move(next.event));
    lock.unlock();
    next.done(status);
  }
  size_t held() {
    std::lock_guard lock(mu_);
    return held_.size();
  }

  bool hold_reports = false;
  std::vector<OutgoingEvent> published;  // written under mu_; read once quiet
  Status next_error;
  std::function<void()> during_publish;  // e.g. the claim expires meanwhile

 private:
  struct Held {
    OutgoingEvent event;
    PublishCallback done;
  };
  std::mutex mu_;
  std::deque<Held> held_;
};

// An answer to come: Submit's `done`, recorded.
class Pending {
 public:
  Pending(BookingIntake& intake, IntakeRequest request) : state_(std::make_shared<State>()) {
    intake.Submit(std::move(request), [state = state_](ApiResponse r) {
      std::lock_guard lock(state->mu);
      ++state->calls;
      state->response = std::move(r);
      state->answered_cv.notify_all();
    });
  }
  bool answered() const {
    std::lock_guard lock(state_->mu);
    return state_->calls > 0;
  }
  // The answer, given exactly once within kAnswerBound.
  ApiResponse Wait() const {
    std::unique_lock lock(state_->mu);
    const bool answered =
        state_->answered_cv.wait_for(lock, kAnswerBound, [&] { return state_->calls > 0; });
    REQUIRE_MESSAGE(answered, "no answer within ", kAnswerBound.count(), " s");
    REQUIRE(state_->calls == 1);
    return *state_->response;
  }

 private:
  struct State {
    std::mutex mu;
    std::condition_variable answered_cv;
    int calls = 0;
    std::optional<ApiResponse> response;
  };
  std::shared_ptr<State> state_;
};

ApiResponse Answer(BookingIntake& intake, IntakeRequest request) {
  return Pending(intake, std::move(request)).Wait();
}

struct Fixture {
  fakes::Faults faults;
  fakes::FakeIdempotencyStore idempotency{faults};
  RecordingProducer producer;
  MetricsRegistry metrics;
  IntakeOptions options = [] {
    IntakeOptions o;
    o.limits = {{"USD", "JPY"}, 100'000'000};
    return o;
  }();
  BookingIntake intake{options, idempotency, producer, metrics};
  std::vector<std::unique_ptr<BookingIntake>> more_intakes;

  // A test that failed with reports held still ends its requests: an intake
  // is destroyed only once idle.
  ~Fixture() {
    while (producer.held() > 0) producer.Report(Status::Unavailable("the test ended"));
  }

  ApiResponse Submit(IntakeRequest request) { return Answer(intake, std::move(request)); }
  // Another intake (another gateway) over the same store and producer.
  BookingIntake& NewIntake(IntakeOptions o) {
    more_intakes.push_back(std::make_unique<BookingIntake>(o, idempotency, producer, metrics));
    return *more_intakes.back();
  }
  static IntakeRequest Request(const std::string& key, const std::string& body) {
    return {key, true, "", "application/json", body};
  }
  // What GET would find for `booking_id` before the ledger has it.
  std::optional<AcceptedBooking> Accepted(const std::string& booking_id) {
    auto accepted = idempotency.FindAccepted(booking_id);
    REQUIRE_MESSAGE(accepted.ok(), accepted.status().ToString());
    return *accepted;
  }
};

const std::string kBody =
    R"({"bookingId":"b-1001","propertyId":"prop-dubai-royal","amount":5000.00,"currency":"USD"})";

// kBody with its first `from` replaced by `to`.
std::string BodyWith(const std::string& from, const std::string& to) {
  std::string body = kBody;
  body.replace(body.find(from), from.size(), to);
  return body;
}

std::string HeaderOf(const ApiResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

std::shared_ptr<const ClientKeys> Keys(const std::vector<std::string>& keys) {
  auto loaded = ClientKeys::FromList(keys);
  REQUIRE(loaded.ok());
  return std::make_shared<ClientKeys>(std::move(*loaded));
}

TEST_SUITE("unit.booking_intake") {
  TEST_CASE("a valid request is published once and answered 202 with Location") {
    Fixture f;
    ApiResponse r = f.Submit(Fixture::Request("k1", kBody));
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
    ApiResponse first = f.Submit(Fixture::Request("k1", kBody));
    // Same business payload, spelled differently.
    ApiResponse again = f.Submit(Fixture::Request(
        "k1",
        R"({"currency":"USD","amount":5000,"propertyId":"prop-dubai-royal","bookingId":"b-1001"})"));
    CHECK(again.status == 202);
    CHECK(again.body == first.body);
    CHECK(HeaderOf(again, "Idempotent-Replayed") == "true");
    CHECK(f.producer.published.size() == 1);
  }

  TEST_CASE("same key, different payload is 422; in flight is 409 with Retry-After") {
    Fixture f;
    REQUIRE(f.Submit(Fixture::Request("k1", kBody)).status == 202);
    std::string other = BodyWith("5000.00", "5000.01");
    CHECK(f.Submit(Fixture::Request("k1", other)).status == 422);

    f.idempotency.Put("k2", {IdempotencyClaim::State::kInFlight,
                             ParseBookingRequest(kBody, f.options.limits).request->Fingerprint(),
                             "someone-else", ""});
    ApiResponse busy = f.Submit(Fixture::Request("k2", kBody));
    CHECK(busy.status == 409);
    CHECK(HeaderOf(busy, "Retry-After") == "1");
    CHECK(f.producer.published.size() == 1);
  }

  TEST_CASE("a publish certainly not written is 503 and drops the claim so a retry can succeed") {
    Fixture f;
    f.producer.next_error = Status::Unavailable("not persisted: the broker is down");
    ApiResponse failed = f.Submit(Fixture::Request("k1", kBody));
    CHECK(failed.status == 503);
    CHECK(HeaderOf(failed, "Retry-After") == "1");
    CHECK(f.idempotency.LiveRecords() == 0);
    f.producer.next_error = Status::Ok();
    CHECK(f.Submit(Fixture::Request("k1", kBody)).status == 202);
    CHECK(f.producer.published.size() == 1);
  }

  TEST_CASE("a publish that may have been written is 504, and its claim stays in flight") {
    Fixture f;
    f.producer.next_error = Status::DeadlineExceeded("possibly persisted: no acknowledgement");
    ApiResponse unknown = f.Submit(Fixture::Request("k1", kBody));
    CHECK(unknown.status == 504);
    CHECK(unknown.content_type == "application/problem+json");
    auto problem = nlohmann::json::parse(unknown.body);
    CHECK(problem["status"] == 504);
    CHECK(problem["detail"].get<std::string>().find("same Idempotency-Key") != std::string::npos);
    // Retry-After: when the kept claim lapses and a retry may publish again.
    const std::string retry_after = HeaderOf(unknown, "Retry-After");
    REQUIRE(!retry_after.empty());
    CHECK(std::stoi(retry_after) >= 1);
    CHECK(std::stoi(retry_after) <= 30);
    // The event may yet land: the key stays claimed, so a retry meanwhile is
    // told 409 rather than publishing a second copy.
    CHECK(f.idempotency.LiveRecords() == 1);
    f.producer.next_error = Status::Ok();
    CHECK(f.Submit(Fixture::Request("k1", kBody)).status == 409);
    CHECK(f.producer.published.empty());
    CHECK(!f.Accepted("b-1001").has_value());
  }

  TEST_CASE("after a 504 the key never answers 503: a later copy's failure is 504 too") {
    Fixture f;
    f.options.in_flight_ttl = std::chrono::milliseconds(0);  // each claim lapses at once
    BookingIntake& intake = f.NewIntake(f.options);
    f.producer.next_error = Status::DeadlineExceeded("possibly persisted");
    CHECK(Answer(intake, Fixture::Request("k1", kBody)).status == 504);
    // The retry's own publish is certainly not written, but the first copy
    // may be on the topic: "not recorded" would be a lie.
    f.producer.next_error = Status::Unavailable("not persisted");
    CHECK(Answer(intake, Fixture::Request("k1", kBody)).status == 504);
    f.producer.next_error = Status::Ok();
    ApiResponse accepted = Answer(intake, Fixture::Request("k1", kBody));
    CHECK(accepted.status == 202);
    CHECK(f.producer.published.size() == 1);
  }

  TEST_CASE("the idempotency store down is 503, nothing published (fail closed)") {
    Fixture f;
    f.faults.FailNext("idem-claim", 1);
    CHECK(f.Submit(Fixture::Request("k1", kBody)).status == 503);
    CHECK(f.producer.published.empty());
  }

  TEST_CASE("a 202 records the accepted booking for GET; a 503 records none") {
    Fixture f;
    REQUIRE(f.Submit(Fixture::Request("k1", kBody)).status == 202);
    auto event = DecodeBookingEvent(f.producer.published.at(0).value);
    REQUIRE(event.ok());
    auto accepted = f.Accepted("b-1001");
    REQUIRE(accepted.has_value());
    CHECK(accepted->request == *ParseBookingRequest(kBody, f.options.limits).request);
    CHECK(accepted->event_id == event->event_id);
    CHECK(accepted->accepted_at == event->timestamp);

    std::string other = BodyWith("b-1001", "b-1002");
    f.producer.next_error = Status::Unavailable("not persisted");
    REQUIRE(f.Submit(Fixture::Request("k2", other)).status == 503);
    CHECK(!f.Accepted("b-1002").has_value());
  }

  TEST_CASE("a booking published after its claim expired is still recorded as accepted") {
    Fixture f;
    // The in-flight TTL runs out during the publish and another request claims the key.
    f.producer.during_publish = [&] {
      f.idempotency.Put("k1", {IdempotencyClaim::State::kInFlight, "other-fp", "other-token", ""});
    };
    CHECK(f.Submit(Fixture::Request("k1", kBody)).status == 202);
    CHECK(f.Accepted("b-1001").has_value());
  }

  TEST_CASE("the first acceptance of a bookingId is the one GET shows") {
    Fixture f;
    REQUIRE(f.Submit(Fixture::Request("k1", kBody)).status == 202);
    std::string other = BodyWith("5000.00", "7000.00");
    REQUIRE(f.Submit(Fixture::Request("k2", other)).status == 202);
    auto accepted = f.Accepted("b-1001");
    REQUIRE(accepted.has_value());
    CHECK(accepted->request.amount.minor_units == 500000);
  }

  TEST_CASE(
      "Redis failing after the publish: still 202, no accepted record (GET 404s until the ledger "
      "has it)") {
    Fixture f;
    f.faults.FailNext("idem-complete", 1);
    CHECK(f.Submit(Fixture::Request("k1", kBody)).status == 202);
    CHECK(!f.Accepted("b-1001").has_value());
  }

  TEST_CASE("validation errors name the key header and every bad field") {
    Fixture f;
    IntakeRequest no_key =
        Fixture::Request("", R"({"bookingId":"b","amount":-1,"currency":"USD"})");
    no_key.has_idempotency_key = false;
    ApiResponse r = f.Submit(no_key);
    CHECK(r.status == 400);
    CHECK(r.content_type == "application/problem+json");
    auto problem = nlohmann::json::parse(r.body);
    std::vector<std::string> fields;
    for (const auto& e : problem["errors"]) fields.push_back(e["field"]);
    CHECK(fields == std::vector<std::string>{"Idempotency-Key", "propertyId", "amount"});
    CHECK(f.producer.published.empty());
  }

  TEST_CASE("bytes that are not UTF-8 are a 400 naming the field, never an exception") {
    Fixture f;
    ApiResponse r = f.Submit(Fixture::Request("k", BodyWith("b-1001", "b-\xff")));
    CHECK(r.status == 400);
    auto problem = nlohmann::json::parse(r.body);
    CHECK(problem["errors"][0]["field"] == "bookingId");
    CHECK(problem["detail"] == "bookingId is not valid UTF-8 (byte 16)");
    // Echoed headers are made safe too.
    IntakeRequest odd_type = Fixture::Request("k", kBody);
    odd_type.content_type = "text/\xff";
    ApiResponse r415 = f.Submit(odd_type);
    CHECK(r415.status == 415);
    CHECK(nlohmann::json::parse(r415.body).is_object());
    CHECK(f.producer.published.empty());
  }

  TEST_CASE("a member is named with its RFC 6901 pointer, whatever it is called") {
    // Found by the request fuzzer: a member called "body" or "Idempotency-Key"
    // was reported as the body or the header, and "a/b~c" had a wrong pointer.
    const std::pair<std::string, std::string> members[] = {{"body", "#/body"},
                                                           {"Idempotency-Key", "#/Idempotency-Key"},
                                                           {"a/b~c", "#/a~1b~0c"},
                                                           {"", "#/"}};
    for (const auto& member : members) {
      // Named copies: clang 14 cannot capture structured bindings (doctest's lambdas).
      const std::string name = member.first, pointer = member.second;
      Fixture f;
      ApiResponse r = f.Submit(Fixture::Request("k", BodyWith("{", "{\"" + name + "\":1,")));
      CHECK(r.status == 400);
      auto problem = nlohmann::json::parse(r.body);
      REQUIRE(problem["errors"].size() == 1);
      CHECK(problem["errors"][0]["field"] == name);
      CHECK_MESSAGE(problem["errors"][0].value("pointer", "") == pointer, name);
    }
    // The body as a whole and the header have no pointer.
    Fixture f;
    IntakeRequest both = Fixture::Request("", "[]");
    ApiResponse r = f.Submit(both);
    auto problem = nlohmann::json::parse(r.body);
    REQUIRE(problem["errors"].size() == 2);
    CHECK(problem["errors"][0]["field"] == "Idempotency-Key");
    CHECK(problem["errors"][1]["field"] == "body");
    CHECK_FALSE(problem["errors"][0].contains("pointer"));
    CHECK_FALSE(problem["errors"][1].contains("pointer"));
  }

  TEST_CASE("a repeated Idempotency-Key header is a 400 naming the header") {
    Fixture f;
    IntakeRequest twice = Fixture::Request("k", kBody);
    twice.idempotency_key_repeated = true;
    ApiResponse r = f.Submit(twice);
    CHECK(r.status == 400);
    auto problem = nlohmann::json::parse(r.body);
    CHECK(problem["detail"] == "Idempotency-Key header must be sent once, not repeated");
    CHECK(problem["errors"].size() == 1);
    CHECK(f.producer.published.empty());
  }

  TEST_CASE("content type and api keys") {
    Fixture f;
    IntakeRequest text = Fixture::Request("k", kBody);
    text.content_type = "text/plain";
    CHECK(f.Submit(text).status == 415);
    IntakeRequest charset = Fixture::Request("k", kBody);
    charset.content_type = "Application/JSON; charset=utf-8";
    CHECK(f.Submit(charset).status == 202);

    Fixture secured;
    IntakeOptions o = secured.options;
    o.client_keys = Keys({"c1=s3cret-0123456789ab"});
    BookingIntake& intake = secured.NewIntake(o);
    ApiResponse denied = Answer(intake, Fixture::Request("k", kBody));
    CHECK(denied.status == 401);
    CHECK(HeaderOf(denied, "WWW-Authenticate") == "Bearer");
    IntakeRequest wrong = Fixture::Request("k", kBody);
    wrong.authorization = "Bearer nope";
    CHECK(Answer(intake, wrong).status == 401);
    IntakeRequest right = Fixture::Request("k", kBody);
    right.authorization = "Bearer s3cret-0123456789ab";
    CHECK(Answer(intake, right).status == 202);
  }

  TEST_CASE("an Idempotency-Key is each client's own: same key, two clients, two bookings") {
    Fixture f;
    IntakeOptions o = f.options;
    o.client_keys = Keys({"a=key-of-a-0123456789", "b=key-of-b-0123456789"});
    BookingIntake& intake = f.NewIntake(o);
    IntakeRequest a = Fixture::Request("shared-key", kBody);
    a.authorization = "Bearer key-of-a-0123456789";
    IntakeRequest b = Fixture::Request("shared-key", kBody);
    b.authorization = "bearer key-of-b-0123456789";  // the scheme in any case (RFC 9110)
    ApiResponse first = Answer(intake, a);
    ApiResponse second = Answer(intake, b);
    CHECK(first.status == 202);
    CHECK(second.status == 202);
    CHECK(HeaderOf(second, "Idempotent-Replayed") != "true");
    REQUIRE(f.producer.published.size() == 2);
    auto ea = DecodeBookingEvent(f.producer.published[0].value);
    auto eb = DecodeBookingEvent(f.producer.published[1].value);
    REQUIRE(ea.ok());
    REQUIRE(eb.ok());
    CHECK(ea->event_id != eb->event_id);
    CHECK(ea->metadata.client_id == "a");
    CHECK(eb->metadata.client_id == "b");
    CHECK(ea->metadata.idempotency_key == "shared-key");  // as the client sent it
    // The same client again with its key: its own answer, replayed.
    ApiResponse replay = Answer(intake, a);
    CHECK(replay.status == 202);
    CHECK(HeaderOf(replay, "Idempotent-Replayed") == "true");
    CHECK(replay.body == first.body);
    CHECK(f.producer.published.size() == 2);
    // What GET shows until the ledger has it names its client.
    auto accepted = f.Accepted(ea->request.booking_id);
    REQUIRE(accepted.has_value());
    CHECK(accepted->client_id == "a");
  }

  TEST_CASE("a bookingId is each client's own: the same id, two clients, two bookings") {
    Fixture f;
    IntakeOptions o = f.options;
    o.client_keys = Keys({"a=key-of-a-0123456789", "b=key-of-b-0123456789"});
    BookingIntake& intake = f.NewIntake(o);
    IntakeRequest a = Fixture::Request("key-1", kBody);
    a.authorization = "Bearer key-of-a-0123456789";
    IntakeRequest b = Fixture::Request("key-2", kBody);
    b.authorization = "Bearer key-of-b-0123456789";
    const ApiResponse first = Answer(intake, a);
    const ApiResponse second = Answer(intake, b);
    // Each client is answered with the bookingId it sent.
    for (const ApiResponse* r : {&first, &second}) {
      CHECK(r->status == 202);
      CHECK(HeaderOf(*r, "Location") == "/api/v1/bookings/b-1001");
      CHECK(nlohmann::json::parse(r->body)["bookingId"] == "b-1001");
    }
    // Inside, two bookings that cannot meet: neither is the other's duplicate.
    REQUIRE(f.producer.published.size() == 2);
    auto ea = DecodeBookingEvent(f.producer.published[0].value);
    auto eb = DecodeBookingEvent(f.producer.published[1].value);
    REQUIRE_MESSAGE(ea.ok(), ea.status().ToString());
    REQUIRE_MESSAGE(eb.ok(), eb.status().ToString());
    CHECK(ea->request.booking_id == "a/b-1001");
    CHECK(eb->request.booking_id == "b/b-1001");
    auto accepted = f.Accepted("b/b-1001");
    REQUIRE(accepted.has_value());
    CHECK(nlohmann::json::parse(AcceptedViewJson(*accepted))["bookingId"] == "b-1001");
    // A replay answers with the id as sent too.
    const ApiResponse replay = Answer(intake, a);
    CHECK(HeaderOf(replay, "Idempotent-Replayed") == "true");
    CHECK(HeaderOf(replay, "Location") == "/api/v1/bookings/b-1001");
  }

  TEST_CASE("without keys an event names no client, and its bytes are as before") {
    Fixture f;
    f.Submit(Fixture::Request("k-plain", kBody));
    REQUIRE(f.producer.published.size() == 1);
    CHECK(f.producer.published[0].value.find("clientId") == std::string::npos);
    auto event = DecodeBookingEvent(f.producer.published[0].value);
    REQUIRE(event.ok());
    CHECK(event->metadata.client_id.empty());
  }

  TEST_CASE("a booking published again after its gateway died carries the same eventId") {
    Fixture f;
    f.options.in_flight_ttl = std::chrono::milliseconds(0);  // the dead gateway's claim lapsed
    BookingIntake& intake = f.NewIntake(f.options);
    // The first gateway published, then died before recording its response.
    f.faults.FailNext("idem-complete", 1);
    CHECK(Answer(intake, Fixture::Request("k-crash", kBody)).status == 202);
    // The client retries with the same key against the restarted gateway.
    ApiResponse retried = Answer(intake, Fixture::Request("k-crash", kBody));
    CHECK(retried.status == 202);
    REQUIRE(f.producer.published.size() == 2);
    auto first = DecodeBookingEvent(f.producer.published[0].value);
    auto second = DecodeBookingEvent(f.producer.published[1].value);
    REQUIRE(first.ok());
    REQUIRE(second.ok());
    // One event, delivered twice: consumers deduplicate on the eventId.
    CHECK(first->event_id == second->event_id);
    CHECK(nlohmann::json::parse(retried.body)["eventId"] == first->event_id);
    // Another key (a new booking attempt) is another event.
    Fixture other;
    other.Submit(Fixture::Request("k-other", kBody));
    REQUIRE(other.producer.published.size() == 1);
    CHECK(DecodeBookingEvent(other.producer.published[0].value)->event_id != first->event_id);
  }

  TEST_CASE("no answer before the delivery report; the key is in flight until then") {
    Fixture f;
    f.producer.hold_reports = true;
    Pending first(f.intake, Fixture::Request("k1", kBody));
    REQUIRE(f.producer.held() == 1);
    CHECK_FALSE(first.answered());
    CHECK(f.intake.in_flight() == 1);
    // Meanwhile the same key is in flight (409), and nothing is recorded for GET.
    ApiResponse busy = f.Submit(Fixture::Request("k1", kBody));
    CHECK(busy.status == 409);
    CHECK(!f.Accepted("b-1001").has_value());
    CHECK_FALSE(first.answered());

    f.producer.Report(Status::Ok());
    ApiResponse accepted = first.Wait();
    CHECK(accepted.status == 202);
    CHECK(f.intake.in_flight() == 0);
    CHECK(f.Accepted("b-1001").has_value());
    ApiResponse replayed = f.Submit(Fixture::Request("k1", kBody));
    CHECK(replayed.status == 202);
    CHECK(HeaderOf(replayed, "Idempotent-Replayed") == "true");
    CHECK(replayed.body == accepted.body);
    CHECK(f.producer.published.size() == 1);
  }

  TEST_CASE("a request holds its in-flight slot until answered; past the limit, 503 at once") {
    Fixture f;
    IntakeOptions o = f.options;
    o.max_in_flight = 1;
    BookingIntake& intake = f.NewIntake(o);
    f.producer.hold_reports = true;
    Pending first(intake, Fixture::Request("k1", kBody));
    ApiResponse refused = Answer(intake, Fixture::Request("k2", BodyWith("b-1001", "b-1002")));
    CHECK(refused.status == 503);
    CHECK(HeaderOf(refused, "Retry-After") == "1");
    CHECK(f.producer.held() == 1);  // the refused one claimed and published nothing
    CHECK(f.idempotency.LiveRecords() == 1);
    f.producer.Report(Status::Ok());
    CHECK(first.Wait().status == 202);
    CHECK(intake.in_flight() == 0);
    f.producer.hold_reports = false;
    CHECK(Answer(intake, Fixture::Request("k2", BodyWith("b-1001", "b-1002"))).status == 202);
  }

  TEST_CASE("two gateways racing on one key with delayed reports publish exactly once") {
    constexpr int kRounds = 50;
    Fixture f;
    BookingIntake& other = f.NewIntake(f.options);
    f.producer.hold_reports = true;
    for (int round = 0; round < kRounds; ++round) {
      const std::string key = "race-" + std::to_string(round);
      std::optional<Pending> a, b;
      std::thread racer([&] { a.emplace(f.intake, Fixture::Request(key, kBody)); });
      b.emplace(other, Fixture::Request(key, kBody));
      racer.join();
      // One claimed and waits for its report; the other was told 409 at once.
      REQUIRE(f.producer.held() == 1);
      REQUIRE(a->answered() != b->answered());
      const Pending& loser = a->answered() ? *a : *b;
      const Pending& winner = a->answered() ? *b : *a;
      CHECK(loser.Wait().status == 409);
      f.producer.Report(Status::Ok());
      CHECK(winner.Wait().status == 202);
    }
    CHECK(f.producer.published.size() == kRounds);
  }

  TEST_CASE("a failed publish drops the claim before the 503 is answered") {
    Fixture f;
    f.producer.hold_reports = true;
    std::optional<int> status;
    std::optional<size_t> records_when_answered;
    f.intake.Submit(Fixture::Request("k1", kBody), [&](ApiResponse r) {
      status = r.status;
      records_when_answered = f.idempotency.LiveRecords();
    });
    REQUIRE(f.producer.held() == 1);
    CHECK(f.idempotency.LiveRecords() == 1);  // claimed, in flight
    f.producer.Report(Status::Unavailable("broker down"));
    REQUIRE(status.has_value());
    CHECK(*status == 503);
    REQUIRE(records_when_answered.has_value());
    CHECK(*records_when_answered == 0);
    const std::vector<std::string> calls = f.faults.log();
    CHECK(calls == std::vector<std::string>{"idem-claim", "idem-claim-mark", "idem-drop-claim"});
  }

  // Found by the nemesis: gateway A was killed after its publish left, before
  // its verdict; A's claim lapsed; B's attempt under the key was certainly not
  // written and answered 503, though A's copy was on the topic.
  TEST_CASE("after a claimant vanished mid-publish, the next attempt's failed publish is a 504") {
    Fixture f;
    f.producer.hold_reports = true;
    IntakeOptions short_claims = f.options;
    short_claims.in_flight_ttl = std::chrono::milliseconds(20);
    BookingIntake& vanishing = f.NewIntake(short_claims);
    Pending a(vanishing, Fixture::Request("k-vanish", kBody));
    REQUIRE(f.producer.held() == 1);  // A's publish left; A never hears of it
    // A's claim lapses: B's attempt is told 409 until then, then claims.
    std::optional<Pending> b;
    const auto deadline = std::chrono::steady_clock::now() + kAnswerBound;
    while (f.producer.held() == 1 && std::chrono::steady_clock::now() < deadline) {
      b.emplace(f.intake, Fixture::Request("k-vanish", kBody));
      if (b->answered()) CHECK(b->Wait().status == 409);
    }
    REQUIRE(f.producer.held() == 2);
    f.producer.Report(Status::Ok());                      // A's copy: written
    f.producer.Report(Status::Unavailable("no leader"));  // B's: certainly not
    CHECK(b->Wait().status == 504);
    a.Wait();
  }

  TEST_CASE(
      "a dropped claim that fails after a failed publish is a 504, the claim left to expire") {
    Fixture f;
    f.producer.next_error = Status::Unavailable("broker down");
    f.faults.FailNext("idem-drop-claim", 1);
    // Whether an earlier copy may be on the topic is unknown without the
    // store, and the claim is left behind: a 503 would promise too much.
    ApiResponse r = f.Submit(Fixture::Request("k1", kBody));
    CHECK(r.status == 504);
    CHECK(f.idempotency.LiveRecords() == 1);
    CHECK(f.Submit(Fixture::Request("k1", kBody)).status == 409);
  }

  TEST_CASE("publish latency is measured from the produce to the report") {
    Fixture f;
    f.producer.hold_reports = true;
    Pending first(f.intake, Fixture::Request("k1", kBody));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // the report comes 20 ms late
    f.producer.Report(Status::Ok());
    REQUIRE(first.Wait().status == 202);
    const std::string text = f.metrics.RenderPrometheus();
    CHECK(text.find("gateway_publish_seconds_count 1") != std::string::npos);
    CHECK(text.find("gateway_publish_seconds_bucket{le=\"0.01\"} 0") != std::string::npos);
  }
}

}  // namespace
}  // namespace wanderluxe
