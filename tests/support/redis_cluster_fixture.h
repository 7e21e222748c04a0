// A Redis Cluster of a test's own: redis-server processes in cluster mode on
// free loopback ports under a temporary directory, joined into one cluster
// (CLUSTER ADDSLOTSRANGE, MEET, REPLICATE), ready once every node says
// cluster_state:ok. A node that does not start, or a cluster that does not
// form in time, is a REQUIRE failure, never a skip. The destructor SIGKILLs
// every node and removes the directory.
#ifndef WANDERLUXE_TESTS_SUPPORT_REDIS_CLUSTER_FIXTURE_H_
#define WANDERLUXE_TESTS_SUPPORT_REDIS_CLUSTER_FIXTURE_H_

#include <sys/types.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/redis_client.h"
#include "wanderluxe/config.h"
#include "wanderluxe/status.h"

namespace wanderluxe::testing {

class RedisClusterFixture {
 public:
  // Master i serves an equal share of the slots, in order; replica i follows
  // master i. `node_timeout_ms` is cluster-node-timeout: how long a master
  // may be silent before its replica takes over.
  RedisClusterFixture(int masters, int replicas, int64_t node_timeout_ms = 1000);
  ~RedisClusterFixture();

  RedisClusterFixture(const RedisClusterFixture&) = delete;
  RedisClusterFixture& operator=(const RedisClusterFixture&) = delete;

  // A client configuration whose seed is master 0, database 0.
  RedisConfig Config() const;
  int master_port(int i) const { return master_ports_.at(i); }
  int replica_port(int i) const { return replica_ports_.at(i); }
  const std::vector<int>& master_ports() const { return master_ports_; }
  std::string NodeId(int port);

  // A command straight to the node on `port` (no redirects followed).
  Result<RedisReply> On(int port, const std::vector<std::string>& argv);
  // The port of the master serving `slot`, as the node on `asked_port` sees it (CLUSTER SLOTS).
  int MasterPortOf(int slot, int asked_port);
  // SIGKILL of the node on `port`; returns once it is reaped.
  void Kill(int port);
  // SIGSTOP (a stalled machine: its sockets stay open, nothing is answered) or
  // SIGCONT of the node on `port`.
  void Signal(int port, int signo);
  // Every node still running says cluster_state:ok within `timeout`.
  bool WaitClusterOk(std::chrono::milliseconds timeout);

 private:
  void Start(int port);
  RedisClient& Client(int port);

  std::string dir_;
  int64_t node_timeout_ms_;
  std::vector<int> master_ports_, replica_ports_;
  std::map<int, pid_t> pids_;  // running nodes
  std::map<int, std::unique_ptr<RedisClient>> clients_;
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_REDIS_CLUSTER_FIXTURE_H_
