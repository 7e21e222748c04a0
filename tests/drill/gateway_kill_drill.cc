// Drills 6 and 7 (issue 12): a herd of HTTP clients that retry with the same
// Idempotency-Key (no answer, 503, 409; bounded, with backoff) while the
// gateway is stopped mid-herd and restarted, three times: by SIGTERM, which
// must drain (every 202 it gave is published, so processed), or by SIGKILL.
// Whatever the clients saw, each key that got a 202 has exactly one event on
// the requests topic and exactly one booking, which ends terminal; every 202
// of a key names the same booking and event (a resend is replayed); verify
// passes.
#include <doctest/doctest.h>
#include <signal.h>

#include <map>
#include <set>

#include "support/drill_env.h"
#include "support/retrying_herd.h"
#include "wanderluxe/booking_event.h"

namespace wanderluxe {
namespace {

using std::chrono::seconds;

// About 8 s of herd. At this rate a few requests are between their publish
// and their answer at any instant, the window a SIGKILL must be tested in.
constexpr int kClients = 32;
constexpr int kKeysPerClient = 100;
constexpr double kKeysPerSecond = 400;
constexpr int kUnits = 60;
// A killed gateway's in-flight claims answer 409 this long; the clients'
// retries (up to kMaxAttempts, backoff capped at 1 s) outlast it.
constexpr int kInFlightTtlS = 8;
constexpr int kMaxAttempts = 60;
// The gateway is stopped (or killed) and restarted this many times, evenly
// through the herd, each time once this many requests are in flight (or
// after kInFlightWait, whichever comes first).
// Publish bounds that fit inside kInFlightTtlS: 3 s + 2 s + 2 s of
// librdkafka's verdict slack < 8 s.
constexpr int64_t kDeliveryTimeoutMs = 3000;
constexpr int64_t kRequestTimeoutMs = 2000;
constexpr int kRounds = 3;
constexpr int64_t kInFlightToSignal = 2;
constexpr std::chrono::milliseconds kInFlightWait{5000};

using testing::Listed;

void GatewayDrill(const std::string& name, int signo) {
  testing::DrillEnv env(
      {name,
       6,
       {"processor.workers=32", "gateway.idem_inflight_ttl_s=" + std::to_string(kInFlightTtlS),
        // A claim must outlive its longest publish (config check): with the
        // short TTL above, a publish is given up sooner too.
        "kafka.delivery_timeout_ms=" + std::to_string(kDeliveryTimeoutMs),
        "kafka.request_timeout_ms=" + std::to_string(kRequestTimeoutMs)}});
  const std::string property = env.Property(name, kUnits);
  env.StartBank();
  env.StartAudit();
  env.StartProcessor("processor-1");
  testing::ChildProcess* gateway = &env.StartGateway();
  REQUIRE_MESSAGE(env.WaitAssigned({"processor-1"}, seconds(90)),
                  "the processor did not join the group; see ", env.dir());

  const auto start = std::chrono::steady_clock::now();
  testing::RetryingHerdOptions options;
  options.url = env.gateway_url();
  options.property_id = property;
  options.id_prefix = property;
  options.clients = kClients;
  options.keys_per_client = kKeysPerClient;
  options.keys_per_second = kKeysPerSecond;
  options.max_attempts = kMaxAttempts;
  testing::RetryingHerd herd(options);
  const int64_t total = herd.total_keys();

  // kRounds times mid-herd, while requests are being accepted (between a
  // publish and its answer is where a kill hurts): signal, wait, restart.
  for (int round = 1; round <= kRounds; ++round) {
    const int64_t due = total * round / (kRounds + 1);
    REQUIRE_MESSAGE(testing::WaitUntil([&] { return herd.finished_keys() >= due; }, seconds(120)),
                    "only ", herd.finished_keys(), " of ", total,
                    " keys answered after 120 s; see ", env.dir());
    int64_t in_flight = 0;
    testing::WaitUntil(
        [&] {
          in_flight = env.GatewayMetric("gateway_in_flight_requests");
          return in_flight >= kInFlightToSignal;
        },
        kInFlightWait);
    const int64_t finished_at_signal = herd.finished_keys();
    const double signal_s = testing::SecondsSince(start);
    gateway->Signal(signo);
    const auto exit = gateway->Wait(seconds(60));
    const double exit_s = testing::SecondsSince(start);
    CHECK(exit == (signo == SIGTERM ? std::optional<int>(0) : std::optional<int>(128 + SIGKILL)));
    if (signo == SIGTERM) {
      const std::string log = env.ReadLog("gateway");
      int stopped = 0;
      for (size_t at = log.find("gateway stopped"); at != std::string::npos;
           at = log.find("gateway stopped", at + 1)) {
        ++stopped;
      }
      CHECK_MESSAGE(stopped == round, "no clean stop in round ", round, "; see ", env.dir());
    }
    gateway = &env.StartGateway();
    const double recovered_s = testing::SecondsSince(start);
    MESSAGE("round ", round, ": signal ", signo, " at ", signal_s, " s (", finished_at_signal,
            " of ", total, " keys answered, ", in_flight, " requests in flight); exit ",
            exit ? std::to_string(*exit) : std::string("none"), " after ", exit_s - signal_s,
            " s; restarted gateway healthy at ", recovered_s, " s");
  }

  testing::RetryingHerdResult result = herd.Wait();
  std::string statuses;
  for (const auto& [status, n] : result.statuses) {
    statuses += " " + (status == 0 ? std::string("none") : std::to_string(status)) + ":" +
                std::to_string(n);
  }
  // What the clients saw, key by key.
  std::set<std::string> accepted;  // keys that got a 202
  std::vector<std::string> unanswered, wrong_booking, changed_event, not_replayed;
  int64_t retried = 0, resent = 0, replayed_202 = 0, retried_replayed = 0;
  std::map<std::string, std::string> event_of;    // key -> eventId its 202 named
  std::map<std::string, std::string> answers_of;  // key -> " none 409 202 ..."
  for (const auto& k : result.keys) {
    for (int a : k.answers) answers_of[k.key] += a == 0 ? " none" : " " + std::to_string(a);
    if (k.attempts > 1 + (k.resent ? 1 : 0)) ++retried;
    if (k.final_status != 202) {
      unanswered.push_back(k.key + "/" + std::to_string(k.final_status));
      continue;
    }
    accepted.insert(k.key);
    for (const auto& a : k.accepted) {
      if (a.replayed) ++replayed_202;
      if (a.booking_id != k.key) wrong_booking.push_back(k.key + "->" + a.booking_id);
      if (a.event_id != k.accepted.front().event_id) changed_event.push_back(k.key);
    }
    event_of[k.key] = k.accepted.front().event_id;
    // A retry answered from the stored response: the lost answer was a 202.
    if (k.accepted.front().replayed) ++retried_replayed;
    if (k.resent) {
      ++resent;
      if (k.resend_status != 202 || !k.accepted.back().replayed) not_replayed.push_back(k.key);
    }
  }
  MESSAGE("herd: ", result.keys.size(), " keys in ", result.seconds, " s; ", result.requests,
          " requests (", result.retries, " retries, ", retried, " keys retried, ", resent,
          " resent after their 202); answers", statuses, "; 202 replayed ", replayed_202, " (",
          retried_replayed, " to a retry)");
  CHECK_MESSAGE(static_cast<int64_t>(result.keys.size()) == total, "keys sent");
  CHECK_MESSAGE(unanswered.empty(), "keys without a 202:", Listed(unanswered));
  CHECK_MESSAGE(wrong_booking.empty(), "202s naming another booking:", Listed(wrong_booking));
  CHECK_MESSAGE(changed_event.empty(), "keys whose 202s named two events:", Listed(changed_event));
  CHECK_MESSAGE(not_replayed.empty(),
                "resends not answered by a replayed 202:", Listed(not_replayed));

  // Exactly-once effects: one event per accepted key, the one its 202 named
  // (a SIGKILL between Kafka's ack and the stored answer makes the retry
  // publish it again: the copy carries the same eventId, one event delivered
  // twice); one booking per key, terminal.
  const bool all =
      env.WaitTerminal({property}, static_cast<int64_t>(accepted.size()), seconds(120));
  const double terminal_s = testing::SecondsSince(start);
  std::map<std::string, std::set<std::string>> events_of;  // key -> distinct eventIds
  int64_t messages = 0;
  for (const auto& e : env.ReadTopic(env.config().kafka.requests_topic)) {
    auto event = DecodeBookingEvent(e.value);
    REQUIRE_MESSAGE(event.ok(), "undecodable request event: ", e.value);
    events_of[event->metadata.idempotency_key].insert(event->event_id);
    ++messages;
  }
  std::vector<std::string> duplicated, missing, other_event, unasked;
  for (const auto& key : accepted) {
    const auto it = events_of.find(key);
    if (it == events_of.end()) {
      missing.push_back(key);
    } else if (it->second.size() != 1) {
      duplicated.push_back(key + " x" + std::to_string(it->second.size()) + " (answers" +
                           answers_of[key] + ")");
    } else if (*it->second.begin() != event_of[key]) {
      other_event.push_back(key);
    }
  }
  for (const auto& [key, ids] : events_of) {
    if (!accepted.count(key)) unasked.push_back(key);
  }
  auto statuses_by_booking = env.ledger().StatusByBooking(property);
  REQUIRE(statuses_by_booking.ok());
  std::vector<std::string> not_terminal;
  for (const auto& key : accepted) {
    const auto it = statuses_by_booking->find(key);
    if (it == statuses_by_booking->end() || !IsTerminal(it->second)) not_terminal.push_back(key);
  }
  std::map<std::string, int> outcomes_of;
  for (const auto& e : env.ReadTopic(env.config().kafka.outcomes_topic)) ++outcomes_of[e.key];
  int64_t repeated_outcomes = 0;
  for (const auto& [booking, n] : outcomes_of) repeated_outcomes += n > 1 ? 1 : 0;
  auto counts = env.Counts({property});
  MESSAGE("all terminal at ", terminal_s, " s: CONFIRMED ", counts[BookingStatus::kConfirmed],
          ", SOLD_OUT ", counts[BookingStatus::kSoldOut], ", FAILED_PAYMENT ",
          counts[BookingStatus::kFailedPayment], ", other ",
          statuses_by_booking->size() - counts[BookingStatus::kConfirmed] -
              counts[BookingStatus::kSoldOut] - counts[BookingStatus::kFailedPayment],
          "; ledger bookings ", statuses_by_booking->size(), " for ", accepted.size(),
          " accepted keys; request messages ", messages, " (",
          messages - static_cast<int64_t>(events_of.size()), " copies of an event published again)",
          " for ", events_of.size(), " keys (", duplicated.size(),
          " keys with two events or more, ", unasked.size(),
          " keys never answered 202); bookings with more than one outcome ", repeated_outcomes);
  REQUIRE_MESSAGE(all, "only ", env.Terminal({property}), " of ", accepted.size(),
                  " terminal after 120 s; see ", env.dir());
  CHECK_MESSAGE(missing.empty(), "accepted keys with no event:", Listed(missing));
  CHECK_MESSAGE(duplicated.empty(), "accepted keys with more than one event:", Listed(duplicated));
  CHECK_MESSAGE(other_event.empty(),
                "accepted keys whose event is not the one their 202 named:", Listed(other_event));
  CHECK_MESSAGE(not_terminal.empty(), "accepted keys not terminal:", Listed(not_terminal));
  CHECK(counts[BookingStatus::kConfirmed] == kUnits);

  int64_t distinct_events = 0;
  for (const auto& [key, ids] : events_of) distinct_events += static_cast<int64_t>(ids.size());
  REQUIRE_MESSAGE(env.WaitAudited(seconds(120), distinct_events),
                  "audit did not archive every event; see ", env.dir());
  const bool filed_once = env.CheckAuditFilesByEvent(seconds(60));
  const auto verified = env.Verify({property});
  CHECK(verified == 0);
  env.Passed(verified == 0 && filed_once && unanswered.empty() && duplicated.empty() &&
             missing.empty() && not_terminal.empty() && not_replayed.empty());
}

TEST_SUITE("drill.gateway_kill") {
  TEST_CASE("gateway SIGTERMed mid-herd drains, restarts; retrying clients: exactly-once effects") {
    GatewayDrill("gateway-term", SIGTERM);
  }
  TEST_CASE("gateway SIGKILLed mid-herd, restarted; retrying clients: exactly-once effects") {
    GatewayDrill("gateway-kill", SIGKILL);
  }
}

}  // namespace
}  // namespace wanderluxe
