#include "nemesis/nemesis.h"

#include <doctest/doctest.h>
#include <signal.h>

#include <thread>

namespace wanderluxe::testing {
namespace {

using std::chrono::seconds;

constexpr seconds kInSyncBound{90};
constexpr int kRequestsPartitions = 6;

void Hold(double s) {
  std::this_thread::sleep_for(std::chrono::milliseconds(static_cast<int64_t>(s * 1000)));
}

}  // namespace

bool IsNode(const std::string& target) {
  return target.rfind("kafka-", 0) == 0 || target.rfind("redis-", 0) == 0;
}

void Nemesis::Apply(const Fault& fault) {
  Break(fault);
  Hold(fault.hold_s);
  End(fault);
  if (IsNode(fault.target)) WaitWhole(fault.target);
}

void Nemesis::Break(const Fault& fault) {
  PrivateCluster& cluster = env_.private_cluster();
  const bool node = IsNode(fault.target);
  switch (fault.kind) {
    case Fault::Kind::kKill:
      if (node) {
        cluster.Kill(fault.target);
      } else {
        ChildProcess* role = system_.children.at(fault.target);
        role->Signal(SIGKILL);
        role->Wait(seconds(10));
      }
      break;
    case Fault::Kind::kPause:
      if (node) {
        cluster.Freeze(fault.target);
      } else {
        system_.children.at(fault.target)->Signal(SIGSTOP);
      }
      break;
    case Fault::Kind::kPartition:
      REQUIRE_MESSAGE(node, "only a node may be partitioned, not ", fault.target);
      cluster.Partition(fault.target);
      break;
  }
}

void Nemesis::End(const Fault& fault) {
  PrivateCluster& cluster = env_.private_cluster();
  const bool node = IsNode(fault.target);
  switch (fault.kind) {
    case Fault::Kind::kKill:
      if (node) {
        cluster.Restart(fault.target);
      } else {
        RestartRole(fault.target);
      }
      break;
    case Fault::Kind::kPause:
      if (node) {
        cluster.Thaw(fault.target);
      } else {
        system_.children.at(fault.target)->Signal(SIGCONT);
      }
      break;
    case Fault::Kind::kPartition:
      cluster.Heal(fault.target);
      break;
  }
}

void Nemesis::RestartRole(const std::string& role) {
  if (role.rfind("gateway", 0) == 0) {
    system_.children[role] = &env_.StartNamedGateway(role);
  } else {
    system_.children[role] = &env_.StartProcessor(role);
  }
}

void Nemesis::WaitWhole(const std::string& node) {
  PrivateCluster& cluster = env_.private_cluster();
  // `up` of a running node waits until every Redis node serves its part
  // (a master's replica linked) and every broker sees the others.
  cluster.Restart(node);
  if (node.rfind("kafka-", 0) != 0) return;
  const std::string topic = env_.config().kafka.requests_topic;
  const bool in_sync = WaitUntil(
      [&] {
        for (int p = 0; p < kRequestsPartitions; ++p) {
          const auto now = cluster.Leadership(topic, p);
          if (!now || now->in_sync.size() != 3) return false;
        }
        return true;
      },
      kInSyncBound);
  if (!in_sync) MESSAGE("after ", node, ": not every partition has three in-sync replicas yet");
}

}  // namespace wanderluxe::testing
