// Drill (issue 28): is every answer the gateway gives true of the requests
// topic? A herd of clients books over HTTP while the Kafka broker is first
// SIGKILLed (and restarted), then SIGSTOPped for longer than the delivery
// timeout (and SIGCONTed). A client takes a 503 as final ("not recorded")
// and retries no answer, a 409 and a 504 ("outcome unknown") with the same
// Idempotency-Key. At the end the whole topic is read and held against each
// key's answers: no event for a key whose final answer was 503, the event
// of every 202 present, and every key that was ever told 504 resolved by a
// retry to an answer the topic agrees with.
#include <doctest/doctest.h>

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "support/drill_env.h"
#include "support/retrying_herd.h"
#include "support/servers.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

// About 30 s of herd if nothing failed: the two faults land in its middle.
constexpr int kClients = 50;
constexpr int kKeysPerClient = 60;
constexpr double kKeysPerSecond = 100;
// Keys answered before each fault, so that requests are on the wire when it comes.
constexpr int64_t kKeysBeforeKill = 400;
constexpr int64_t kKeysBetweenFaults = 400;
// The broker stays frozen longer than kafka.delivery_timeout_ms (5 s), so
// librdkafka gives up on messages the broker has in its socket and will
// append once it runs again; shorter than the controller's session timeout
// (9 s), so that the single-node cluster does not fence itself on waking.
constexpr seconds kFrozenFor{7};
// A claim kept after a 504 answers 409 for gateway.idem_inflight_ttl_s; the
// clients' retries (backoff capped at kBackoffMax) outlast it.
constexpr int kInFlightTtlS = 15;
constexpr int kMaxAttempts = 120;
constexpr std::chrono::milliseconds kBackoffMax{2000};
// Longer than the gateway's longest wait for a verdict, so that a missing
// answer is the gateway's fault, not the client's impatience.
constexpr std::chrono::milliseconds kClientTimeout{20'000};
// Each phase of the herd is waited for this long at most.
constexpr seconds kPhaseBound{180};

using testing::Listed;

bool Ever(const testing::KeyOutcome& key, int status) {
  return std::find(key.answers.begin(), key.answers.end(), status) != key.answers.end();
}

// A 503 after a 504 of the same key: "not recorded" after "may be recorded".
bool RefusedAfterUnknown(const testing::KeyOutcome& key) {
  const auto unknown = std::find(key.answers.begin(), key.answers.end(), 504);
  return std::find(unknown, key.answers.end(), 503) != key.answers.end();
}

TEST_SUITE("drill.kafka_answers") {
  TEST_CASE("Kafka SIGKILLed, then SIGSTOPped mid-herd: every answer is true of the topic") {
    const auto started = std::chrono::steady_clock::now();
    testing::DrillEnv env({"kafka-answers",
                           6,
                           {"gateway.idem_inflight_ttl_s=" + std::to_string(kInFlightTtlS)},
                           {"kafka"}});
    const std::string property = env.Property("answers", 1);
    env.StartGateway();  // the answers are the gateway's: no other role is needed

    testing::RetryingHerdOptions options;
    options.url = env.gateway_url();
    options.property_id = property;
    options.id_prefix = testing::UniqueName("ans");  // keys of this run only: Redis is shared
    options.clients = kClients;
    options.keys_per_client = kKeysPerClient;
    options.keys_per_second = kKeysPerSecond;
    options.max_attempts = kMaxAttempts;
    options.backoff_max = kBackoffMax;
    options.request_timeout = kClientTimeout;
    options.resend_every = 0;
    options.retry_on = {0, 409, 504};  // a 503 is final: "not recorded"
    testing::RetryingHerd herd(options);

    REQUIRE_MESSAGE(
        testing::WaitUntil([&] { return herd.finished_keys() >= kKeysBeforeKill; }, kPhaseBound),
        "only ", herd.finished_keys(), " keys answered; see ", env.dir());
    env.private_stack().Kill("kafka");
    MESSAGE("SIGKILLed Kafka after ", herd.finished_keys(), " keys at ",
            testing::SecondsSince(started), " s");
    const double took_s = env.private_stack().Restart("kafka");
    MESSAGE("Kafka restarted in ", took_s, " s");

    const int64_t before_freeze = herd.finished_keys() + kKeysBetweenFaults;
    REQUIRE_MESSAGE(
        testing::WaitUntil([&] { return herd.finished_keys() >= before_freeze; }, kPhaseBound),
        "only ", herd.finished_keys(), " keys answered after the restart; see ", env.dir());
    env.private_stack().Freeze("kafka");
    MESSAGE("SIGSTOPped Kafka after ", herd.finished_keys(), " keys at ",
            testing::SecondsSince(started), " s, for ", kFrozenFor.count(), " s");
    std::this_thread::sleep_for(kFrozenFor);  // the fault's length, not a wait for readiness
    env.private_stack().Thaw("kafka");
    MESSAGE("SIGCONTed Kafka at ", testing::SecondsSince(started), " s");

    const testing::RetryingHerdResult result = herd.Wait();

    // The topic, read whole once the broker runs again: whatever it held in
    // its socket while frozen is appended by now or never.
    std::map<std::string, std::set<std::string>> events_of;  // bookingId -> eventIds
    std::map<std::string, int> copies;                       // eventId -> messages
    const auto messages = env.ReadTopic(env.config().kafka.requests_topic);
    for (const auto& m : messages) {
      const auto json = nlohmann::json::parse(m.value, nullptr, false);
      REQUIRE_MESSAGE(json.is_object(), "not JSON on the topic: ", m.value);
      const std::string event_id = json.value("eventId", "");
      events_of[json["payload"].value("bookingId", "")].insert(event_id);
      ++copies[event_id];
    }
    int64_t duplicated = 0;
    for (const auto& [id, n] : copies) duplicated += n > 1 ? 1 : 0;

    std::vector<std::string> lied_503, missing_202, unresolved, two_events, ever_504,
        refused_after_unknown;
    int64_t final_202 = 0, final_503 = 0, unknown_then_202 = 0;
    for (const testing::KeyOutcome& key : result.keys) {
      const auto on_topic = events_of.find(key.key);
      const bool present = on_topic != events_of.end();
      if (present && on_topic->second.size() > 1) two_events.push_back(key.key);
      if (Ever(key, 504)) {
        ever_504.push_back(key.key);
        unknown_then_202 += key.final_status == 202 ? 1 : 0;
      }
      if (RefusedAfterUnknown(key)) refused_after_unknown.push_back(key.key);
      if (key.final_status == 503) {
        ++final_503;
        if (present) lied_503.push_back(key.key);
      } else if (key.final_status == 202) {
        ++final_202;
        const std::string& event_id = key.accepted.back().event_id;
        if (!present || on_topic->second.count(event_id) == 0) missing_202.push_back(key.key);
      } else {
        unresolved.push_back(key.key + ":" + std::to_string(key.final_status));
      }
    }
    std::string statuses;
    int64_t refusals = 0;  // answers other than 202: the faults were felt
    for (const auto& [status, n] : result.statuses) {
      statuses += " " + std::to_string(status) + ":" + std::to_string(n);
      refusals += status == 202 ? 0 : n;
    }
    MESSAGE(result.keys.size(), " keys, ", result.requests, " requests in ", result.seconds,
            " s; every answer (0 = none):", statuses, "; final 202: ", final_202,
            ", final 503: ", final_503, ", keys ever told 504: ", ever_504.size(), " (",
            unknown_then_202, " of them ended 202)");
    MESSAGE(messages.size(), " messages on the topic, ", copies.size(), " distinct eventIds, ",
            duplicated, " eventIds more than once; ", events_of.size(), " bookings");
    MESSAGE("final 503 with an event on the topic: ", lied_503.size(), Listed(lied_503));
    MESSAGE("final 202 whose event is missing: ", missing_202.size(), Listed(missing_202));
    MESSAGE("no final answer (out of attempts): ", unresolved.size(), Listed(unresolved));
    CHECK(lied_503.empty());
    // A key told "may be recorded" is never told "not recorded" afterwards:
    // its first copy may be on the topic whatever became of the retries.
    CHECK_MESSAGE(refused_after_unknown.empty(), "503 after a 504:", Listed(refused_after_unknown));
    CHECK(missing_202.empty());
    CHECK(unresolved.empty());
    // One request, one event: a key's copies, however many, share one eventId.
    CHECK_MESSAGE(two_events.empty(), "keys with two eventIds:", Listed(two_events));
    // Every verdict was librdkafka's own: the producer's safety net, past
    // LongestPublishMs, never had to answer in its place.
    const bool net_fired = env.LogContains("gateway", "without librdkafka's verdict");
    CHECK_MESSAGE(!net_fired, "the producer answered a publish before librdkafka's verdict; see ",
                  env.dir());
    // Both faults were felt: the drill tested something.
    CHECK(refusals > 0);
    MESSAGE("drill took ", testing::SecondsSince(started), " s");
    env.Passed(lied_503.empty() && missing_202.empty() && unresolved.empty() &&
               two_events.empty() && !net_fired && refused_after_unknown.empty());
  }
}

}  // namespace
}  // namespace wanderluxe
