#include "support/private_cluster.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "adapters/redis/redis_client.h"
#include "support/server_signals.h"
#include "support/servers.h"

namespace wanderluxe::testing {
namespace {

using std::chrono::seconds;

// Three brokers boot and meet, then six Redis nodes form their cluster:
// scripts/stack bounds each step; the script as a whole gets this long.
constexpr seconds kStackCommandBound{300};
constexpr seconds kQueryBound{30};
// scripts/stack keeps a Redis node's cluster bus (port + 10000) below the
// ephemeral range; a broker's and a node's ports come in runs.
constexpr int kLowestPort = 20000;
constexpr int kHighestBusPort = 32767;
constexpr int kBrokers = 3;
constexpr int kRedisNodes = 6;

// `count` consecutive ports, each free on loopback and none in `taken`
// (with `bus`, each port + 10000 too); they join `taken`.
int FreeRun(int count, bool bus, std::set<int>& taken) {
  static std::mt19937 rng(std::random_device{}());
  const int highest = bus ? kHighestBusPort - 10000 - count : 32000 - count;
  std::uniform_int_distribution<int> pick(kLowestPort, highest);
  for (int attempt = 0; attempt < 500; ++attempt) {
    const int first = pick(rng);
    bool free = true;
    for (int port = first; port < first + count && free; ++port) {
      free = !taken.count(port) && CanBindLoopback(port) &&
             (!bus || (!taken.count(port + 10000) && CanBindLoopback(port + 10000)));
    }
    if (!free) continue;
    for (int port = first; port < first + count; ++port) {
      taken.insert(port);
      if (bus) taken.insert(port + 10000);
    }
    return first;
  }
  FAIL("no run of ", count, " free loopback ports after 500 tries");
  return 0;
}

// A namespace prefix no other cluster of this machine uses now: a letter,
// the pid, a counter (scripts/stack allows ten characters).
std::string NetnsPrefix() {
  static std::atomic<int> counter{0};
  return "wd" + std::to_string(getpid() % 1000000) + static_cast<char>('a' + counter++ % 26);
}

int NodeNumber(const std::string& node) { return std::stoi(node.substr(node.rfind('-') + 1)); }

}  // namespace

const std::vector<std::string>& PrivateCluster::AllNodes() {
  static const std::vector<std::string> nodes = {"kafka-1", "kafka-2",  "kafka-3", "redis-1",
                                                 "redis-2", "redis-3",  "redis-4", "redis-5",
                                                 "redis-6", "postgres", "ferretdb"};
  return nodes;
}

PrivateCluster::PrivateCluster(std::string dir, bool netns, bool delete_dir)
    : dir_(std::move(dir)), netns_(netns), delete_dir_(delete_dir) {
  std::set<int> taken;
  ports_["WL_CLUSTER_KAFKA_PORT"] = FreeRun(kBrokers, false, taken);
  ports_["WL_CLUSTER_KAFKA_CONTROLLER_PORT"] = FreeRun(kBrokers, false, taken);
  ports_["WL_CLUSTER_REDIS_PORT"] = FreeRun(kRedisNodes, true, taken);
  for (const char* single :
       {"WL_CLUSTER_PG_PORT", "WL_CLUSTER_MONGO_PORT", "WL_CLUSTER_FERRETDB_DEBUG_PORT"}) {
    ports_[single] = FreeRun(1, false, taken);
  }
  // The single stack's variables too, though the cluster profile moves its
  // state dir away from them: no command of this cluster can touch them.
  std::map<std::string, std::string> environment = {{"WANDERLUXE_CLUSTER_DIR", dir_},
                                                    {"WANDERLUXE_STACK_DIR", dir_ + "/single"}};
  for (const auto& [variable, port] : ports_) environment[variable] = std::to_string(port);
  if (netns_) environment["WL_CLUSTER_NETNS"] = NetnsPrefix();
  script_ = std::make_unique<StackScript>(dir_, std::move(environment));
  if (!script_->Run({"up", "--cluster"}, kStackCommandBound)) {
    const std::string log = script_->LogTail();
    script_->Run({"down", "--cluster"}, kStackCommandBound);  // the destructor will not run
    FAIL("private cluster did not come up under ", dir_, ":\n", log);
  }
  if (netns_) {
    std::ifstream in(dir_ + "/netns.env");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("subnet=", 0) == 0) subnet_base_ = line.substr(7, line.rfind(".0/24") - 7);
    }
    REQUIRE_MESSAGE(!subnet_base_.empty(), "no subnet in ", dir_, "/netns.env after up");
  }
}

PrivateCluster::~PrivateCluster() {
  // A drill that failed mid-fault must not leave a node stopped (down would
  // wait its bound) or cut off (a broker's clean shutdown waits for the others).
  stopped_.ContinueAll();
  if (!partitioned_.empty()) {
    std::vector<std::string> heal = {"heal", "--cluster"};
    heal.insert(heal.end(), partitioned_.begin(), partitioned_.end());
    script_->Run(heal, kStackCommandBound);
  }
  if (!script_->Run({"down", "--cluster"}, kStackCommandBound)) {
    std::fprintf(stderr, "private cluster under %s did not stop cleanly:\n%s\n", dir_.c_str(),
                 script_->LogTail().c_str());
  }
  if (delete_dir_) std::filesystem::remove_all(dir_);
}

// As scripts/stack places them: kafka-N at .1N, redis-N at .2N.
std::string PrivateCluster::Host(const std::string& node) const {
  if (!netns_) return "127.0.0.1";
  if (node.rfind("kafka-", 0) == 0)
    return subnet_base_ + "." + std::to_string(10 + NodeNumber(node));
  if (node.rfind("redis-", 0) == 0)
    return subnet_base_ + "." + std::to_string(20 + NodeNumber(node));
  return "127.0.0.1";
}

int PrivateCluster::Port(const std::string& node) const {
  if (node.rfind("kafka-", 0) == 0)
    return ports_.at("WL_CLUSTER_KAFKA_PORT") + NodeNumber(node) - 1;
  if (node.rfind("redis-", 0) == 0)
    return ports_.at("WL_CLUSTER_REDIS_PORT") + NodeNumber(node) - 1;
  if (node == "postgres") return ports_.at("WL_CLUSTER_PG_PORT");
  REQUIRE_MESSAGE(node == "ferretdb", "no node ", node, " in the cluster profile");
  return ports_.at("WL_CLUSTER_MONGO_PORT");
}

pid_t PrivateCluster::Pid(const std::string& node) const {
  std::ifstream in(dir_ + "/" + node + "/" + node + ".pid");
  pid_t pid = 0;
  in >> pid;
  REQUIRE_MESSAGE(pid > 0, "no pid recorded for ", node, " under ", dir_);
  return pid;
}

std::string PrivateCluster::BootstrapServers() const {
  std::string list;
  for (int n = 1; n <= kBrokers; ++n) {
    const std::string broker = "kafka-" + std::to_string(n);
    list += (list.empty() ? "" : ",") + Host(broker) + ":" + std::to_string(Port(broker));
  }
  return list;
}

void PrivateCluster::Kill(const std::string& node) {
  KillServer(node, Pid(node), /*children=*/node == "postgres");
}

double PrivateCluster::Restart(const std::string& node) {
  const auto start = std::chrono::steady_clock::now();
  const bool up = script_->Run({"up", "--cluster", node}, kStackCommandBound);
  REQUIRE_MESSAGE(up, node, " did not come back under ", dir_, ":\n", script_->LogTail());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void PrivateCluster::Freeze(const std::string& node) { stopped_.Stop(node, Pid(node)); }

void PrivateCluster::Thaw(const std::string& node) { stopped_.Continue(node, Pid(node)); }

void PrivateCluster::Partition(const std::string& node) {
  REQUIRE_MESSAGE(netns_, "Partition needs a cluster started in netns mode");
  partitioned_.insert(node);
  const bool cut = script_->Run({"partition", "--cluster", node}, kQueryBound);
  REQUIRE_MESSAGE(cut, node, " was not cut off:\n", script_->LogTail());
}

void PrivateCluster::Heal(const std::string& node) {
  const bool healed = script_->Run({"heal", "--cluster", node}, kStackCommandBound);
  REQUIRE_MESSAGE(healed, node, " did not answer again after its link came up:\n",
                  script_->LogTail());
  partitioned_.erase(node);
}

std::optional<PartitionLeadership> PrivateCluster::Leadership(const std::string& topic,
                                                              int partition) const {
  const auto answer =
      script_->Output({"leader", "--cluster", topic, std::to_string(partition)}, kQueryBound);
  if (!answer) return std::nullopt;
  // "kafka-N in-sync kafka-a,kafka-b"
  std::istringstream words(*answer);
  std::string label, in_sync;
  PartitionLeadership leadership;
  words >> leadership.leader >> label >> in_sync;
  std::istringstream replicas(in_sync);
  for (std::string r; std::getline(replicas, r, ',');) leadership.in_sync.push_back(r);
  if (leadership.leader.empty() || label != "in-sync") return std::nullopt;
  return leadership;
}

std::string PrivateCluster::SlotMaster(int slot) const {
  const auto answer = script_->Output({"master", "--cluster", std::to_string(slot)}, kQueryBound);
  std::string node;
  if (answer) std::istringstream(*answer) >> node;
  return node;
}

std::string PrivateCluster::ReplicaOf(const std::string& node) const {
  RedisConfig config;
  config.host = Host(node);
  config.port = Port(node);
  config.database = 0;
  auto client = RedisClient::Connect(config);
  if (!client.ok()) return "";
  // ROLE of a replica: ["slave", master host, master port, link state, offset].
  auto role = (*client)->Command({"ROLE"});
  if (!role.ok() || role->elements.size() < 3 || role->elements[0].text != "slave") return "";
  const int port = static_cast<int>(role->elements[2].integer);
  for (int n = 1; n <= kRedisNodes; ++n) {
    const std::string other = "redis-" + std::to_string(n);
    if (Port(other) == port) return other;
  }
  return "";
}

std::vector<std::string> PrivateCluster::Sets(Redis redis) const {
  std::vector<std::string> sets = {
      "kafka.brokers=" + BootstrapServers(), "kafka.replication_factor=3",
      "kafka.min_insync_replicas=2",
      // As PrivateStack's: an outage reaches every writer after 2 s.
      "mongo.uri=mongodb://127.0.0.1:" + std::to_string(Port("ferretdb")) +
          "/?serverSelectionTimeoutMS=2000"};
  if (redis == Redis::kInclude) {
    // As config/cluster.yaml: an inventory change waits for a replica. The
    // cluster is the drill's own, and a Redis Cluster has database 0 only.
    sets.insert(sets.end(),
                {"redis.mode=cluster", "redis.host=" + Host("redis-1"),
                 "redis.port=" + std::to_string(Port("redis-1")), "redis.property_tag={%s}",
                 "redis.database=0", "redis.command_timeout_ms=1000", "redis.replica_acks=1",
                 "redis.replica_ack_timeout_ms=500"});
  }
  return sets;
}

}  // namespace wanderluxe::testing
