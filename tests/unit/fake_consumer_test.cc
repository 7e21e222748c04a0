// The fake consumer keeps librdkafka 2.0.2's semantics, no stronger: the
// processor's tests over it are only as good as these rules.
#include <doctest/doctest.h>

#include "fakes/fake_consumer.h"

namespace wanderluxe {
namespace {

using fakes::FakeConsumer;
using std::chrono::milliseconds;

struct Recorder final : RebalanceListener {
  std::vector<std::string> calls;
  void OnAssigned(const std::vector<TopicPartition>& p) override {
    calls.push_back("assign " + std::to_string(p.size()));
  }
  void OnRevoked(const std::vector<TopicPartition>& p) override {
    calls.push_back("revoke " + std::to_string(p.size()));
  }
};

// Polls until an event comes (a few polls serve rebalances first).
std::optional<ConsumedEvent> Next(FakeConsumer& c) {
  for (int i = 0; i < 4; ++i) {
    auto e = c.Poll(milliseconds(1));
    REQUIRE(e.ok());
    if (e->has_value()) return *e;
  }
  return std::nullopt;
}

TEST_SUITE("unit.fake_consumer") {
  TEST_CASE("eager: revoke all in one poll, assign in a later one, read from the committed") {
    Recorder r;
    FakeConsumer c(&r);
    c.CreateTopic("t", 1);
    const TopicPartition tp{"t", 0};
    for (int i = 0; i < 3; ++i) c.Produce("t", 0, "k", std::to_string(i));
    REQUIRE(c.Subscribe({"t"}).ok());
    CHECK(Next(c)->offset == 0);
    CHECK(Next(c)->offset == 1);
    REQUIRE(c.Commit({{"t", 0, 1}}).ok());
    c.Rebalance({tp});
    REQUIRE(c.Poll(milliseconds(1)).ok());  // the revoke
    CHECK(c.Assignment().empty());
    CHECK(Next(c)->offset == 1);  // read, not committed: it comes again
    CHECK(r.calls == std::vector<std::string>{"assign 1", "revoke 1", "assign 1"});
  }

  TEST_CASE("the application's pause outlives a revoke; a resume of an unpaused one refetches") {
    FakeConsumer c;
    c.CreateTopic("t", 1);
    const TopicPartition tp{"t", 0};
    for (int i = 0; i < 3; ++i) c.Produce("t", 0, "k", std::to_string(i));
    REQUIRE(c.Pause({tp}).ok());  // never assigned: unknown to the client, nothing happens
    CHECK_FALSE(c.AppPaused(tp));
    REQUIRE(c.Subscribe({"t"}).ok());
    CHECK(Next(c)->offset == 0);
    REQUIRE(c.Pause({tp}).ok());
    c.HoldJoin(true);
    c.Rebalance({tp});
    REQUIRE(c.Poll(milliseconds(1)).ok());
    REQUIRE(c.Resume({}).ok());  // what a member with nothing assigned can resume
    c.HoldJoin(false);
    CHECK_FALSE(Next(c).has_value());  // assigned again, still paused
    CHECK(c.AppPaused(tp));
    REQUIRE(c.Resume({tp}).ok());
    CHECK(Next(c)->offset == 0);
    CHECK(Next(c)->offset == 1);
    REQUIRE(c.Resume({tp}).ok());  // not paused: the fetch goes back to its start
    CHECK(Next(c)->offset == 0);
    CHECK(c.Deliveries(tp, 0) == 3);
  }

  TEST_CASE("cooperative: only what moves is revoked or assigned; a kept partition keeps reading") {
    Recorder r;
    FakeConsumer c(&r);
    c.CreateTopic("t", 2);
    c.Produce("t", 0, "k", "a");
    c.Produce("t", 0, "k", "b");
    REQUIRE(c.Subscribe({"t"}).ok());
    REQUIRE(c.Poll(milliseconds(1)).ok());
    c.Rebalance({{"t", 0}}, FakeConsumer::Protocol::kCooperative);
    auto e = Next(c);
    REQUIRE(e.has_value());
    CHECK(r.calls == std::vector<std::string>{"assign 2", "revoke 1"});
    CHECK(c.Assignment() == std::vector<TopicPartition>{{"t", 0}});
  }
}

}  // namespace
}  // namespace wanderluxe
