// A cluster of a drill's own: the cluster profile of scripts/stack (three
// Kafka brokers that are each a KRaft controller, a Redis Cluster of three
// masters and three replicas, FerretDB on PostgreSQL) under a private state
// directory on free ports, so that a drill may kill, stall or cut off one
// node without disturbing any other test. In netns mode each Kafka and Redis
// node runs in a network namespace of its own behind a veth on one bridge,
// and Partition cuts that veth: no node and no client reaches it until Heal.
// Everything goes through scripts/stack, as an operator would do it.
#ifndef WANDERLUXE_TESTS_SUPPORT_PRIVATE_CLUSTER_H_
#define WANDERLUXE_TESTS_SUPPORT_PRIVATE_CLUSTER_H_

#include <sys/types.h>

#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "support/server_signals.h"
#include "support/stack_script.h"

namespace wanderluxe::testing {

// A topic partition's leader and in-sync replicas, as broker metadata has them.
struct PartitionLeadership {
  std::string leader;                // "kafka-N"
  std::vector<std::string> in_sync;  // "kafka-N" each, the leader among them
};

class PrivateCluster {
 public:
  // What Sets carries: the cluster's Redis as config/cluster.yaml uses it,
  // or none (a drill that gives the roles a Redis of its own).
  enum class Redis { kInclude, kLeaveOut };

  // The nodes scripts/stack knows in the cluster profile, in its start order.
  static const std::vector<std::string>& AllNodes();

  // Starts every node under `dir` (in namespaces of their own when `netns`)
  // and waits until both clusters agree; a cluster that does not come up is
  // a REQUIRE failure with scripts/stack's output. `delete_dir`: the
  // destructor removes `dir` once the nodes stopped.
  PrivateCluster(std::string dir, bool netns, bool delete_dir = true);
  // `scripts/stack down --cluster`: every node stopped; in netns mode the
  // namespaces, links and bridge removed too.
  ~PrivateCluster();

  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  bool netns() const { return netns_; }
  // The address a node listens on (postgres and ferretdb: loopback).
  std::string Host(const std::string& node) const;
  // Its client port (postgres: SQL; ferretdb: Mongo).
  int Port(const std::string& node) const;
  pid_t Pid(const std::string& node) const;
  // "host:port,host:port,host:port" of the three brokers.
  std::string BootstrapServers() const;

  // SIGKILL, as a crash; returns once the process is gone.
  void Kill(const std::string& node);
  // `scripts/stack up --cluster node`: the same node on its state, waited
  // for until it answers and serves its part. Returns the seconds it took.
  double Restart(const std::string& node);
  // SIGSTOP and SIGCONT (see PrivateStack::Freeze).
  void Freeze(const std::string& node);
  void Thaw(const std::string& node);
  // Netns mode only: the node's link goes down (it runs on, unreachable),
  // and comes up again; Heal returns once the node answers.
  void Partition(const std::string& node);
  void Heal(const std::string& node);

  // The leadership of one topic partition, from whichever broker answers:
  // nothing when none does, or the partition has no leader now. Right after
  // a heal a broker may still answer with what it believed while cut off.
  std::optional<PartitionLeadership> Leadership(const std::string& topic, int partition) const;
  // The node serving `slot` as master ("redis-N"); empty when none answers.
  std::string SlotMaster(int slot) const;
  // The master a Redis node replicates ("redis-N", by its ROLE); empty when
  // the node is a master itself or does not answer.
  std::string ReplicaOf(const std::string& node) const;

  // section.key=value overrides that point a role at this cluster: the
  // brokers with replication factor 3 and min.insync.replicas 2, FerretDB,
  // and (kInclude) the Redis Cluster's seed node.
  std::vector<std::string> Sets(Redis redis = Redis::kInclude) const;
  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool netns_;
  bool delete_dir_;
  std::map<std::string, int> ports_;  // every WL_CLUSTER_* port variable scripts/stack reads
  std::unique_ptr<StackScript> script_;
  std::string subnet_base_;            // netns mode: "10.A.B", from <dir>/netns.env
  StoppedServers stopped_;             // Freeze without Thaw yet: thawed by the destructor
  std::set<std::string> partitioned_;  // healed by the destructor before down
};

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_PRIVATE_CLUSTER_H_
