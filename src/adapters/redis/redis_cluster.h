// A Redis Cluster client over hiredis: each command goes to the master that
// serves its key's slot, MOVED and ASK redirects are followed, and the slot
// map is read again when a node fails or the cluster fails over. The
// RedisCommands of redis.mode cluster (redis_commands.h).
//
// Thread safety: every public call may run concurrently with every other,
// from any number of threads, on one RedisClusterClient. One mutex guards the
// slot map, the connection pools and the counters; it is never held across
// network I/O (connects, commands and map reads happen outside it). A call
// blocks its thread for at most its deadline, redis.command_timeout_ms, in
// all: every connect, send, redirect and map refresh comes out of it.
//
// Errors are values: kInvalidArgument for a call the cluster cannot route
// (no key, keys of several slots: CROSSSLOT, refused before anything is
// sent); kUnavailable when no node serving the slot could be reached or the
// connection broke (the outcome of a write that was sent is then unknown);
// kDeadlineExceeded when the deadline passed, also unknown; kInternal for an
// error reply or a reply we did not expect; kResourceExhausted when every
// connection to the node stayed busy until the deadline; kFailedPrecondition
// for a refused AUTH or a server that is not a cluster node.
#ifndef WANDERLUXE_ADAPTERS_REDIS_REDIS_CLUSTER_H_
#define WANDERLUXE_ADAPTERS_REDIS_REDIS_CLUSTER_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "adapters/redis/redis_client.h"
#include "adapters/redis/redis_cluster_map.h"
#include "wanderluxe/config.h"
#include "wanderluxe/mutex.h"
#include "wanderluxe/status.h"
#include "wanderluxe/thread_annotations.h"

struct redisContext;

namespace wanderluxe {

// A call follows at most this many MOVED and ASK redirects, then fails kUnavailable.
inline constexpr int kRedisClusterMaxRedirects = 5;
// The slot map is read again at most this often, however many calls ask for it.
inline constexpr std::chrono::milliseconds kRedisClusterRefreshInterval{100};

struct RedisClusterStats {
  int64_t moved = 0;      // MOVED redirects followed
  int64_t asked = 0;      // ASK redirects followed
  int64_t refreshes = 0;  // slot maps read (including the first)
  // Replicated calls answered while their master had no replica to wait for.
  int64_t unreplicated = 0;
};

class RedisClusterClient final : public RedisCommands {
 public:
  // Reads the slot map from the seed redis.host:redis.port; kUnavailable when
  // it does not answer, kFailedPrecondition when it is not a cluster node or
  // redis.database is not 0 (a cluster has only database 0).
  static Result<std::unique_ptr<RedisClusterClient>> Connect(const RedisConfig& config);
  // Reads the slot map lazily, on first use: for servers that must start while
  // the cluster is away. redis.database must be 0 (Config::Validate sees to it).
  static std::unique_ptr<RedisClusterClient> Create(const RedisConfig& config);
  ~RedisClusterClient();

  RedisClusterClient(const RedisClusterClient&) = delete;
  RedisClusterClient& operator=(const RedisClusterClient&) = delete;

  // A command on one key, which is argv[1] (GET, SET, INCR, HSET, ...).
  Result<RedisReply> Command(const std::vector<std::string>& argv) override;
  // A command whose keys the caller names, all of one slot (MGET, DEL, ...).
  Result<RedisReply> KeyedCommand(const std::vector<std::string>& keys,
                                  const std::vector<std::string>& argv) override;
  // The script by SHA (loaded on the node when it does not know it); its keys,
  // at least one, must all be in one slot.
  Result<RedisReply> Eval(const RedisScript& script, const std::vector<std::string>& keys,
                          const std::vector<std::string>& args) override;
  // Eval, then on the same connection a write of `wl:replicated:{tag}` (the
  // keys' slot) and WAIT redis.replica_acks: a replica the node lists that
  // has not acknowledged within redis.replica_ack_timeout_ms fails the call
  // kUnavailable (the script ran on the master only). A node that lists no
  // replica (its own died; it was promoted) is not waited for: counted in
  // stats().unreplicated.
  Result<RedisReply> EvalReplicated(const RedisScript& script, const std::vector<std::string>& keys,
                                    const std::vector<std::string>& args) override;
  // Reads the slot map again, then PINGs each master that serves slots, all
  // within one deadline; kUnavailable while some slot has no master.
  Status Ping() override;
  // SCAN on each master of a freshly read map (each page its own deadline);
  // kUnavailable while some slot has no master.
  Result<std::vector<std::string>> ScanKeys(const std::string& pattern) override;

  const RedisConfig& config() const override { return config_; }

  // Reads the slot map again now (not rate-limited).
  Status Refresh();
  // The master serving `slot` in the current map, if any.
  Result<RedisEndpoint> MasterOf(int slot) EXCLUDES(mu_);
  RedisClusterStats stats() EXCLUDES(mu_);

 private:
  using Clock = std::chrono::steady_clock;
  struct Pool {
    std::vector<redisContext*> idle;
    int64_t open = 0;  // idle or lent out
  };
  struct Attempt;  // the outcome of one try on one node (redis_cluster.cc)

  explicit RedisClusterClient(RedisConfig config) : config_(std::move(config)) {}

  // `fence`, when not null: after the command, on the same connection, a
  // write of that key (of the call's slot) and WAIT (EvalReplicated).
  Result<RedisReply> Route(const std::vector<std::string>& keys,
                           const std::vector<std::string>& argv, const RedisScript* script,
                           const std::string* fence = nullptr);
  Attempt TryOn(const RedisEndpoint& node, const std::vector<std::string>& argv,
                const RedisScript* script, bool asking, const std::string* fence,
                Clock::time_point deadline);
  // OK once redis.replica_acks replicas of the node behind `c` hold every
  // write it had made (the fence write covers a call that wrote nothing), or
  // when the node lists no replica to wait for; else kUnavailable.
  // `*io_ok` false: the connection broke (the call's outcome is unknown).
  Status AwaitReplicas(redisContext* c, const std::string& fence, Clock::time_point deadline,
                       bool* io_ok) EXCLUDES(mu_);
  // `argv` on `node` itself: no redirect is followed, no map refreshed.
  Result<RedisReply> OnNode(const RedisEndpoint& node, const std::vector<std::string>& argv,
                            Clock::time_point deadline);
  // The masters that serve slots, after reading the map again; kUnavailable
  // while some slot has none.
  Result<std::vector<RedisEndpoint>> ServingMasters(Clock::time_point deadline) EXCLUDES(mu_);
  Status RefreshBefore(Clock::time_point deadline) EXCLUDES(mu_);
  // A refresh unless one ran within kRedisClusterRefreshInterval or is running.
  void RefreshIfDue(Clock::time_point deadline) EXCLUDES(mu_);

  Result<redisContext*> Borrow(const RedisEndpoint& node, Clock::time_point deadline) EXCLUDES(mu_);
  void Return(const RedisEndpoint& node, redisContext* context, bool healthy) EXCLUDES(mu_);
  Result<redisContext*> Open(const RedisEndpoint& node, Clock::time_point deadline);

  const RedisConfig config_;
  Mutex mu_;
  CondVar available_cv_{&mu_};  // a connection went idle, or room to open one
  RedisSlotMap map_ GUARDED_BY(mu_);
  // Per node ("host:port"); pools are never removed, so a Pool* stays valid.
  std::map<std::string, std::unique_ptr<Pool>> pools_ GUARDED_BY(mu_);
  std::map<std::string, std::string> script_shas_ GUARDED_BY(mu_);  // source -> SHA
  bool refreshing_ GUARDED_BY(mu_) = false;
  // A call timed out on a node: the next call reads the map before routing.
  bool map_suspect_ GUARDED_BY(mu_) = false;
  Clock::time_point last_refresh_ GUARDED_BY(mu_);
  RedisClusterStats stats_ GUARDED_BY(mu_);
};

}  // namespace wanderluxe

#endif  // WANDERLUXE_ADAPTERS_REDIS_REDIS_CLUSTER_H_
