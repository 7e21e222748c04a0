// The shared plumbing of the drills (tests/drill/): real `wanderluxe` roles as
// child processes on a private set of topics, consumer groups, Mongo database,
// properties and ports, so a drill can share the live stack with other tests.
// A drill starts roles, produces bookings, breaks something, waits (bounded)
// for every booking to end, and finishes with `wanderluxe verify`.
#ifndef WANDERLUXE_TESTS_SUPPORT_DRILL_ENV_H_
#define WANDERLUXE_TESTS_SUPPORT_DRILL_ENV_H_

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "adapters/kafka/kafka_producer.h"
#include "adapters/mongo/mongo_ledger.h"
#include "adapters/redis/redis_commands.h"
#include "adapters/redis/redis_inventory_store.h"
#include "support/child_process.h"
#include "support/private_cluster.h"
#include "support/private_stack.h"
#include "wanderluxe/config.h"
#include "wanderluxe/ports/event_consumer.h"

namespace wanderluxe::testing {

struct DrillSpec {
  std::string name;               // short, for file and topic names
  int partitions = 6;             // of the requests and outcomes topics
  std::vector<std::string> sets;  // extra section.key=value for every role
  // Servers of scripts/stack this drill runs privately (PrivateStack), for it
  // kills them: the drill's config, every role it starts and Verify use
  // these; the live stack serves the rest.
  std::vector<std::string> private_servers;
  // The private servers ask for credentials (scripts/stack up --secure); the
  // roles get the passwords in their environment, never on their command line.
  bool secure = false;
  // Kafka and FerretDB of a cluster of the drill's own (PrivateCluster: three
  // brokers, replication factor 3, min.insync.replicas 2) instead of the live
  // stack's; kNetns puts each node in a namespace of its own, so that the
  // drill may cut one off. Redis comes from private_servers, or the cluster.
  enum class Cluster { kNone, kLoopback, kNetns };
  Cluster cluster = Cluster::kNone;
};

class DrillEnv {
 public:
  explicit DrillEnv(DrillSpec spec);
  // Stops every child still running (SIGTERM, then SIGKILL after 30 s). The
  // log directory is removed only when the drill said it passed (and
  // WANDERLUXE_DRILL_KEEP_LOGS is not set).
  ~DrillEnv();
  void Passed(bool passed) { passed_ = passed; }

  const std::string& dir() const { return dir_; }
  const Config& config() const { return config_; }
  const std::string& bank_url() const { return bank_url_; }
  const std::string& gateway_url() const { return gateway_url_; }
  RedisCommands& redis() { return *redis_; }
  RedisInventoryStore& inventory() { return *inventory_; }
  MongoLedger& ledger() { return *ledger_; }
  MongoStore& mongo() { return *mongo_; }

  // `role` and its own arguments, then the drill's --set flags, then `extra`
  // (later --set flags win).
  std::vector<std::string> Args(std::vector<std::string> role,
                                const std::vector<std::string>& extra_sets = {}) const;
  // The bank, the audit, `processors` processors ("processor", or
  // "processor-1".. when more than one; waited for until each holds
  // partitions) and the gateway: the system a herd goes through. Returns
  // the processors.
  std::vector<ChildProcess*> StartEveryRole(int processors = 1);
  // The passwords of a secure private stack, for a role's environment.
  std::map<std::string, std::string> SecretEnvironment() const;
  // Starts a role; its output goes to <dir>/<log_name>.log.
  ChildProcess& Start(const std::string& log_name, std::vector<std::string> role,
                      const std::vector<std::string>& extra_sets = {});
  // The bank role on the drill's bank port, answering /healthz (bounded).
  ChildProcess& StartBank(const std::string& log_name = "bank");
  ChildProcess& StartAudit();
  ChildProcess& StartGateway();
  // A gateway of its own name ("gateway" is StartGateway's): a port is picked
  // at its first start and kept, so that a restart answers at the same URL.
  // Waited for until it answers /healthz.
  ChildProcess& StartNamedGateway(const std::string& log_name);
  std::string NamedGatewayUrl(const std::string& log_name) const;
  // A processor with its own admin port (for ProcessorMetric).
  ChildProcess& StartProcessor(const std::string& log_name,
                               std::vector<std::string> extra_sets = {});
  // Waits until every named processor logged an assignment: the last to join
  // is assigned only once the whole group rebalanced.
  bool WaitAssigned(const std::vector<std::string>& log_names, std::chrono::seconds timeout);
  // Sum of a metric's samples (every label set) on a processor's /metrics; -1
  // when it does not answer.
  int64_t ProcessorMetric(const std::string& log_name, const std::string& metric);
  // SIGTERM and a bounded wait; the exit status (nothing when it hung).
  std::optional<int> Stop(ChildProcess& child,
                          std::chrono::seconds timeout = std::chrono::seconds(60));

  // A property id of this drill, seeded with `units` (by `wanderluxe seed`'s store code).
  std::string Property(const std::string& label, int64_t units);
  // Seeds `property` with `units`, as Property does.
  void Seed(const std::string& property, int64_t units);
  // Publishes BOOKING_INITIATED events straight to the requests topic
  // (key = propertyId), from a few threads; returns the booking ids.
  std::vector<std::string> Publish(const std::string& property, int count,
                                   const std::string& id_prefix = "");
  void PublishOne(const std::string& property, const std::string& booking_id);
  // The pieces of Publish, for a drill that publishes from a thread of its
  // own: ids to publish, and how many of them failed to publish (no doctest
  // assertion inside, so it may run off the test's thread).
  std::vector<std::string> BookingIds(const std::string& property, int count,
                                      const std::string& id_prefix = "");
  int PublishIds(const std::string& property, const std::vector<std::string>& ids);

  // Terminal bookings of these properties in the ledger.
  int64_t Terminal(const std::vector<std::string>& properties);
  std::map<BookingStatus, int64_t> Counts(const std::vector<std::string>& properties);
  // Waits (polling the ledger once a second) until `expected` are terminal.
  bool WaitTerminal(const std::vector<std::string>& properties, int64_t expected,
                    std::chrono::seconds timeout);
  // Waits until the audit role archived every event of the requests topic:
  // `distinct_events` when given, else the topic's distinct archive ids. Not
  // its messages: a publish that timed out yet landed, then retried, puts one
  // event (one eventId) on the topic twice, and the archive keeps one record.
  bool WaitAudited(std::chrono::seconds timeout,
                   std::optional<int64_t> distinct_events = std::nullopt);

  // Every message on `topic` (read by a throwaway group), bounded.
  std::vector<ConsumedEvent> ReadTopic(const std::string& topic,
                                       std::chrono::seconds timeout = std::chrono::seconds(60));
  // The bank role's charge book: key -> status.
  std::map<std::string, std::string> BankBook();
  bool LogContains(const std::string& log_name, const std::string& text) const;
  std::string ReadLog(const std::string& log_name) const;

  // Runs `wanderluxe verify --property p...` with the drill's flags; prints its
  // report as a doctest MESSAGE and returns its exit status (nothing: hung).
  std::optional<int> Verify(const std::vector<std::string>& properties);

  // The servers of DrillSpec::private_servers (a REQUIRE failure when none).
  PrivateStack& private_stack();
  // The cluster of DrillSpec::cluster (a REQUIRE failure when none).
  PrivateCluster& private_cluster();

 private:
  DrillSpec spec_;
  std::chrono::steady_clock::time_point created_;
  std::string dir_;
  std::vector<std::string> sets_;
  Config config_;
  std::string bank_url_, gateway_url_;
  int gateway_port_ = 0;
  std::unique_ptr<RedisCommands> redis_;
  std::unique_ptr<RedisInventoryStore> inventory_;
  std::unique_ptr<MongoStore> mongo_;
  std::unique_ptr<MongoLedger> ledger_;
  std::vector<std::unique_ptr<ChildProcess>> children_;
  std::map<std::string, std::string> admin_urls_;  // processor log name -> admin URL
  std::map<std::string, int> gateway_ports_;       // StartNamedGateway's log name -> port
  int published_ = 0;
  bool passed_ = false;
  std::unique_ptr<KafkaProducer> producer_;
  // Under dir_/stack; stopped by the destructor before dir_ may be removed.
  std::unique_ptr<PrivateStack> private_stack_;
  std::unique_ptr<PrivateCluster> private_cluster_;  // likewise, under dir_/cluster

  // --- For the role-kill drills (drill.bank_kill, drill.audit_kill, drill.gateway_kill). ---
 public:
  struct BankCharge {
    std::string status;  // CAPTURED, DECLINED, VOIDED
    std::string transaction_id;
  };
  // The bank role's charge book with transaction ids: key -> charge.
  std::map<std::string, BankCharge> BankCharges();
  struct AuditFiles {
    std::vector<std::string> lines;  // every line of every file, in file order
    int files = 0;
    int unterminated = 0;  // files whose last line has no newline (torn, or not yet whole)
  };
  // What the audit role's file sink wrote (<dir>/audit).
  AuditFiles ReadAuditFiles() const;
  // The same by eventId and by place.
  struct AuditFileTally {
    std::map<std::string, int> lines_of_event;   // eventId -> lines
    std::map<std::string, int> lines_of_offset;  // topic/partition/offset -> lines
    std::vector<std::string> torn;               // lines that are no JSON record
    int unterminated_files = 0;
    int files = 0;
    size_t lines = 0;
  };
  AuditFileTally TallyAuditFiles() const;
  // Waits (up to `timeout`) until the file sink holds every event of both
  // topics, then checks that it holds each on exactly one line; reports what
  // it found and returns whether all held.
  bool CheckAuditFilesByEvent(std::chrono::seconds timeout);
  // Request events the Mongo audit sink archived (documents of the requests topic).
  Result<int64_t> AuditArchivedRequests();
  // The audit role with an admin port of its own, so that AdminMetric(log_name, ...)
  // reads its /metrics.
  ChildProcess& StartAuditWithAdmin(const std::string& log_name);
  // Sum of a metric's samples on the /metrics of a role started with an admin
  // port (a processor, or StartAuditWithAdmin); -1 when it does not answer.
  int64_t AdminMetric(const std::string& log_name, const std::string& metric) {
    return ProcessorMetric(log_name, metric);
  }
  // The same of the gateway's own /metrics.
  int64_t GatewayMetric(const std::string& metric) {
    admin_urls_["gateway"] = gateway_url_;
    return ProcessorMetric("gateway", metric);
  }
};

// Elapsed seconds since `start`, for the drills' figures.
double SecondsSince(std::chrono::steady_clock::time_point start);
// The first `most` of `items`, each after a space, and how many more there
// are: a drill's failure message names what failed without flooding the log.
std::string Listed(const std::vector<std::string>& items, size_t most = 10);

}  // namespace wanderluxe::testing

#endif  // WANDERLUXE_TESTS_SUPPORT_DRILL_ENV_H_
