#include "support/redis_cluster_fixture.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "adapters/redis/redis_cluster_map.h"
#include "support/child_process.h"
#include "support/servers.h"

namespace wanderluxe::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

// Redis answers PING well within this after its start.
constexpr seconds kStartBound{15};
// MEET, gossip and the first election of a six-node cluster on a loaded machine.
constexpr seconds kFormBound{60};
// Each node's cluster bus listens on its port + 10000.
constexpr int kBusOffset = 10000;

// A free port whose bus port is free too, both below the ephemeral range.
int FreeNodePort(const std::vector<int>& taken) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int port = FreeLoopbackPort();
    if (port + kBusOffset >= 32768 || !CanBindLoopback(port + kBusOffset)) continue;
    const bool clash = std::any_of(taken.begin(), taken.end(), [&](int t) {
      return t == port || t == port + kBusOffset || t + kBusOffset == port;
    });
    if (!clash) return port;
  }
  FAIL("no free loopback port pair (port, port + 10000) for a Redis Cluster node");
  return 0;
}

std::string Tail(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > 3000 ? all.substr(all.size() - 3000) : all;
}

}  // namespace

RedisClusterFixture::RedisClusterFixture(int masters, int replicas, int64_t node_timeout_ms)
    : dir_((std::filesystem::temp_directory_path() / UniqueName("wl-redis-cluster")).string()),
      node_timeout_ms_(node_timeout_ms) {
  const bool shape = masters >= 1 && replicas >= 0 && replicas <= masters;
  REQUIRE_MESSAGE(shape, "one replica at most per master");
  std::filesystem::create_directories(dir_);
  std::vector<int> taken;
  for (int i = 0; i < masters + replicas; ++i) {
    const int port = FreeNodePort(taken);
    taken.push_back(port);
    (i < masters ? master_ports_ : replica_ports_).push_back(port);
  }
  for (const int port : taken) Start(port);

  // Slots in equal shares, then every node meets master 0.
  for (int i = 0; i < masters; ++i) {
    const int first = i * kRedisClusterSlots / masters;
    const int last = (i + 1) * kRedisClusterSlots / masters - 1;
    auto added = On(master_ports_[i],
                    {"CLUSTER", "ADDSLOTSRANGE", std::to_string(first), std::to_string(last)});
    REQUIRE_MESSAGE(added.ok(), added.status().ToString());
  }
  for (const int port : taken) {
    if (port == master_ports_[0]) continue;
    auto met = On(port, {"CLUSTER", "MEET", "127.0.0.1", std::to_string(master_ports_[0])});
    REQUIRE_MESSAGE(met.ok(), met.status().ToString());
  }
  const size_t nodes = taken.size();
  const bool all_known = WaitUntil(
      [&] {
        return std::all_of(taken.begin(), taken.end(), [&](int port) {
          auto listed = On(port, {"CLUSTER", "NODES"});
          if (!listed.ok()) return false;
          const std::string& text = listed->text;
          return static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) >= nodes &&
                 text.find("handshake") == std::string::npos;
        });
      },
      kFormBound);
  REQUIRE_MESSAGE(all_known, "the ", nodes, " Redis Cluster nodes under ", dir_,
                  " did not all meet within ", kFormBound.count(), " s");
  for (int i = 0; i < replicas; ++i) {
    const std::string master_id = NodeId(master_ports_[i]);
    auto replicated = On(replica_ports_[i], {"CLUSTER", "REPLICATE", master_id});
    REQUIRE_MESSAGE(replicated.ok(), replicated.status().ToString());
  }
  REQUIRE_MESSAGE(WaitClusterOk(std::chrono::duration_cast<milliseconds>(kFormBound)),
                  "the Redis Cluster under ", dir_, " is not cluster_state:ok after ",
                  kFormBound.count(), " s");
  for (int i = 0; i < replicas; ++i) {
    const bool linked = WaitUntil(
        [&] {
          auto info = On(replica_ports_[i], {"INFO", "replication"});
          return info.ok() && info->text.find("master_link_status:up") != std::string::npos;
        },
        kFormBound);
    REQUIRE_MESSAGE(linked, "replica on port ", replica_ports_[i], " never linked to its master");
  }
}

RedisClusterFixture::~RedisClusterFixture() {
  clients_.clear();
  for (const auto& [port, pid] : pids_) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

void RedisClusterFixture::Start(int port) {
  const std::string node_dir = dir_ + "/" + std::to_string(port);
  std::filesystem::create_directories(node_dir);
  std::vector<std::string> words = {
      "redis-server", "--port", std::to_string(port), "--bind", "127.0.0.1", "--protected-mode",
      "no", "--daemonize", "no", "--dir", node_dir, "--logfile", node_dir + "/redis.log", "--save",
      "", "--appendonly", "no", "--cluster-enabled", "yes", "--cluster-config-file",
      node_dir + "/nodes.conf", "--cluster-node-timeout", std::to_string(node_timeout_ms_),
      // A replica may take over however long its link was down.
      "--cluster-replica-validity-factor", "0"};
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int signo : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) signal(signo, SIG_DFL);
    const int null = open("/dev/null", O_RDWR);
    if (null >= 0) {
      dup2(null, 0);
      dup2(null, 1);
      dup2(null, 2);
    }
    closefrom(3);
    execvp("redis-server", argv.data());
    _exit(127);
  }
  REQUIRE_MESSAGE(pid > 0, "cannot fork for redis-server");
  pids_[port] = pid;
  const bool up = WaitUntil(
      [&] {
        auto pong = On(port, {"PING"});
        return pong.ok() && pong->text == "PONG";
      },
      kStartBound);
  REQUIRE_MESSAGE(up, "redis-server --cluster-enabled yes on port ", port,
                  " did not answer within ", kStartBound.count(),
                  " s (is redis-server installed?); its log:\n", Tail(node_dir + "/redis.log"));
}

RedisConfig RedisClusterFixture::Config() const {
  RedisConfig config;
  config.host = "127.0.0.1";
  config.port = master_ports_.at(0);
  config.database = 0;
  config.pool_size = 4;
  return config;
}

RedisClient& RedisClusterFixture::Client(int port) {
  std::unique_ptr<RedisClient>& client = clients_[port];
  if (client == nullptr) {
    RedisConfig config = Config();
    config.port = port;
    config.connect_timeout_ms = 500;
    client = RedisClient::Create(config);
  }
  return *client;
}

Result<RedisReply> RedisClusterFixture::On(int port, const std::vector<std::string>& argv) {
  return Client(port).Command(argv);
}

std::string RedisClusterFixture::NodeId(int port) {
  auto id = On(port, {"CLUSTER", "MYID"});
  REQUIRE_MESSAGE(id.ok(), id.status().ToString());
  return id->text;
}

int RedisClusterFixture::MasterPortOf(int slot, int asked_port) {
  auto reply = On(asked_port, {"CLUSTER", "SLOTS"});
  REQUIRE_MESSAGE(reply.ok(), reply.status().ToString());
  auto map = ParseClusterSlots(*reply, "127.0.0.1");
  REQUIRE_MESSAGE(map.ok(), map.status().ToString());
  const int owner = map->owner.at(slot);
  REQUIRE_MESSAGE(owner >= 0, "no master serves slot ", slot);
  return static_cast<int>(map->masters[owner].port);
}

void RedisClusterFixture::Kill(int port) {
  auto it = pids_.find(port);
  REQUIRE_MESSAGE(it != pids_.end(), "no running node on port ", port);
  REQUIRE(kill(it->second, SIGKILL) == 0);
  REQUIRE(waitpid(it->second, nullptr, 0) == it->second);
  pids_.erase(it);
  clients_.erase(port);
}

void RedisClusterFixture::Signal(int port, int signo) {
  auto it = pids_.find(port);
  REQUIRE_MESSAGE(it != pids_.end(), "no running node on port ", port);
  REQUIRE(kill(it->second, signo) == 0);
}

bool RedisClusterFixture::WaitClusterOk(milliseconds timeout) {
  return WaitUntil(
      [&] {
        return std::all_of(pids_.begin(), pids_.end(), [&](const auto& node) {
          auto info = On(node.first, {"CLUSTER", "INFO"});
          return info.ok() && info->text.find("cluster_state:ok") != std::string::npos;
        });
      },
      timeout);
}

}  // namespace wanderluxe::testing
