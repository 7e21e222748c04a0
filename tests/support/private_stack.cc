#include "support/private_stack.h"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "support/server_signals.h"
#include "support/servers.h"

namespace wanderluxe::testing {
namespace {

using std::chrono::seconds;

// scripts/stack waits up to 90 s for Kafka (30 s for the others) and Kafka
// formats its storage first: the script itself is given this long.
constexpr seconds kStackCommandBound{150};

// The variable scripts/stack reads each port from.
const char* const kPortVariables[] = {"WL_REDIS_PORT", "WL_KAFKA_PORT", "WL_KAFKA_CONTROLLER_PORT",
                                      "WL_PG_PORT",    "WL_MONGO_PORT", "WL_FERRETDB_DEBUG_PORT"};

std::string PortVariable(const std::string& server) {
  if (server == "redis") return "WL_REDIS_PORT";
  if (server == "kafka") return "WL_KAFKA_PORT";
  if (server == "postgres") return "WL_PG_PORT";
  return "WL_MONGO_PORT";  // ferretdb
}

// Every port variable on a distinct free port, and the state dir.
std::map<std::string, std::string> StackEnvironment(const std::string& dir,
                                                    std::map<std::string, int>& ports) {
  std::map<std::string, std::string> environment = {{"WANDERLUXE_STACK_DIR", dir}};
  std::vector<int> taken;
  for (const char* variable : kPortVariables) {
    int port = FreeLoopbackPort();
    while (std::find(taken.begin(), taken.end(), port) != taken.end()) port = FreeLoopbackPort();
    taken.push_back(port);
    ports[variable] = port;
    environment[variable] = std::to_string(port);
  }
  return environment;
}

}  // namespace

const std::vector<std::string>& PrivateStack::AllServers() {
  static const std::vector<std::string> servers = {"redis", "kafka", "postgres", "ferretdb"};
  return servers;
}

PrivateStack::PrivateStack(std::vector<std::string> servers, std::string dir, bool delete_dir,
                           bool secure)
    : dir_(std::move(dir)), delete_dir_(delete_dir), secure_(secure) {
  if (std::find(servers.begin(), servers.end(), "ferretdb") != servers.end())
    servers.push_back("postgres");      // FerretDB keeps its data there
  for (const auto& s : AllServers()) {  // start order, each once
    if (std::find(servers.begin(), servers.end(), s) != servers.end()) servers_.push_back(s);
  }
  REQUIRE_MESSAGE(servers_.size() == std::set<std::string>(servers.begin(), servers.end()).size(),
                  "PrivateStack knows only redis, kafka, postgres and ferretdb");
  script_ = std::make_unique<StackScript>(dir_, StackEnvironment(dir_, ports_));
  std::vector<std::string> up = {"up"};
  if (secure_) up.push_back("--secure");
  up.insert(up.end(), servers_.begin(), servers_.end());
  if (!script_->Run(up, kStackCommandBound)) {
    const std::string log = script_->LogTail();
    std::vector<std::string> down = {"down"};
    down.insert(down.end(), servers_.rbegin(), servers_.rend());
    script_->Run(down, kStackCommandBound);  // the destructor will not run
    FAIL("private stack did not come up under ", dir_, ":\n", log);
  }
  if (secure_) {
    std::ifstream in(dir_ + "/secrets.env");
    std::string line;
    while (std::getline(in, line)) {
      const size_t eq = line.find('=');
      if (eq == std::string::npos) continue;
      if (line.substr(0, eq) == "WL_STACK_USER") user_ = line.substr(eq + 1);
      if (line.substr(0, eq) == "WL_STACK_PASSWORD") password_ = line.substr(eq + 1);
    }
    const bool credentials = !user_.empty() && !password_.empty();
    REQUIRE_MESSAGE(credentials, "no credentials in ", dir_, "/secrets.env after up --secure");
  }
}

PrivateStack::~PrivateStack() {
  // A drill that failed while a server was frozen must not leave it so: a
  // stopped process would hold `down` until its bound.
  stopped_.ContinueAll();
  std::vector<std::string> down = {"down"};
  down.insert(down.end(), servers_.rbegin(), servers_.rend());
  if (!script_->Run(down, kStackCommandBound)) {
    std::fprintf(stderr, "private stack under %s did not stop cleanly:\n%s\n", dir_.c_str(),
                 script_->LogTail().c_str());
  }
  if (delete_dir_) std::filesystem::remove_all(dir_);
}

bool PrivateStack::Has(const std::string& server) const {
  return std::find(servers_.begin(), servers_.end(), server) != servers_.end();
}

int PrivateStack::Port(const std::string& server) const { return ports_.at(PortVariable(server)); }

pid_t PrivateStack::Pid(const std::string& server) const {
  REQUIRE_MESSAGE(Has(server), server, " is not part of this private stack");
  std::ifstream in(dir_ + "/" + server + "/" + server + ".pid");
  pid_t pid = 0;
  in >> pid;
  REQUIRE_MESSAGE(pid > 0, "no pid recorded for ", server, " under ", dir_);
  return pid;
}

// The postmaster's children leave when they see it gone; a restart needs
// them gone too (they hold its shared memory).
void PrivateStack::Kill(const std::string& server) {
  KillServer(server, Pid(server), /*children=*/server == "postgres");
}

void PrivateStack::Freeze(const std::string& server) { stopped_.Stop(server, Pid(server)); }

void PrivateStack::Thaw(const std::string& server) { stopped_.Continue(server, Pid(server)); }

double PrivateStack::Restart(const std::string& server) {
  REQUIRE_MESSAGE(Has(server), server, " is not part of this private stack");
  const auto start = std::chrono::steady_clock::now();
  const bool up = script_->Run({"up", server}, kStackCommandBound);
  REQUIRE_MESSAGE(up, server, " did not come back under ", dir_, ":\n", script_->LogTail());
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::vector<std::string> PrivateStack::Sets() const {
  std::vector<std::string> sets;
  if (Has("redis")) {
    sets.push_back("redis.host=127.0.0.1");
    sets.push_back("redis.port=" + std::to_string(Port("redis")));
  }
  if (Has("kafka")) sets.push_back("kafka.brokers=127.0.0.1:" + std::to_string(Port("kafka")));
  if (secure_ && Has("redis")) sets.push_back("redis.username=" + user_);
  if (secure_ && Has("kafka")) {
    sets.insert(sets.end(), {"kafka.security_protocol=sasl_plaintext",
                             "kafka.sasl_mechanism=SCRAM-SHA-256", "kafka.sasl_username=" + user_});
  }
  // As MongoConfig's own default URI has it: with the server down, an
  // operation fails after 2 s instead of the driver's 30 s of server
  // selection, so an outage of a few seconds reaches every writer.
  if (Has("ferretdb")) {
    sets.push_back("mongo.uri=mongodb://127.0.0.1:" + std::to_string(Port("ferretdb")) +
                   "/?serverSelectionTimeoutMS=2000");
  }
  return sets;
}

std::map<std::string, std::string> PrivateStack::SecretEnvironment() const {
  std::map<std::string, std::string> env;
  if (secure_ && Has("redis")) env["WANDERLUXE_REDIS_PASSWORD"] = password_;
  if (secure_ && Has("kafka")) env["WANDERLUXE_KAFKA_SASL_PASSWORD"] = password_;
  return env;
}

std::vector<std::string> PrivateStack::SecretSets() const {
  std::vector<std::string> sets;
  if (secure_ && Has("redis")) sets.push_back("redis.password=" + password_);
  if (secure_ && Has("kafka")) sets.push_back("kafka.sasl_password=" + password_);
  return sets;
}

}  // namespace wanderluxe::testing
