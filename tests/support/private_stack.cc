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

#include "support/child_process.h"
#include "support/servers.h"

namespace wanderluxe::testing {
namespace {

using std::chrono::seconds;

// scripts/stack waits up to 90 s for Kafka (30 s for the others) and Kafka
// formats its storage first: the script itself is given this long.
constexpr seconds kStackCommandBound{150};
// A SIGKILLed process is gone once its parent reaped it; here that parent is
// pid 1, which may take a moment.
constexpr seconds kKillBound{30};
constexpr size_t kLogTailBytes = 4000;

// The variable scripts/stack reads each port from.
const char* const kPortVariables[] = {"WL_REDIS_PORT", "WL_KAFKA_PORT", "WL_KAFKA_CONTROLLER_PORT",
                                      "WL_PG_PORT",    "WL_MONGO_PORT", "WL_FERRETDB_DEBUG_PORT"};

std::string PortVariable(const std::string& server) {
  if (server == "redis") return "WL_REDIS_PORT";
  if (server == "kafka") return "WL_KAFKA_PORT";
  if (server == "postgres") return "WL_PG_PORT";
  return "WL_MONGO_PORT";  // ferretdb
}

bool Alive(pid_t pid) { return std::filesystem::exists("/proc/" + std::to_string(pid)); }

// The one-letter state of /proc/<pid>/stat (T: stopped by a signal); '?'
// when the process is gone.
char StateOf(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  // "pid (comm) state ...": comm may hold spaces and parentheses.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos || close + 2 >= stat.size()) return '?';
  return stat[close + 2];
}

// Processes whose parent is `parent` now (from /proc/<pid>/stat).
std::vector<pid_t> ChildrenOf(pid_t parent) {
  std::vector<pid_t> children;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
    const size_t close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 1));
    std::string state;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == parent) children.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return children;
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
  std::filesystem::create_directories(dir_);
  std::vector<int> taken;
  for (const char* variable : kPortVariables) {
    int port = FreeLoopbackPort();
    while (std::find(taken.begin(), taken.end(), port) != taken.end()) port = FreeLoopbackPort();
    taken.push_back(port);
    ports_[variable] = port;
  }
  std::vector<std::string> up = {"up"};
  if (secure_) up.push_back("--secure");
  up.insert(up.end(), servers_.begin(), servers_.end());
  if (!RunStack(up, kStackCommandBound)) {
    const std::string log = StackLogTail();
    std::vector<std::string> down = {"down"};
    down.insert(down.end(), servers_.rbegin(), servers_.rend());
    RunStack(down, kStackCommandBound);  // the destructor will not run
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
  for (const pid_t pid : frozen_) kill(pid, SIGCONT);
  std::vector<std::string> down = {"down"};
  down.insert(down.end(), servers_.rbegin(), servers_.rend());
  if (!RunStack(down, kStackCommandBound)) {
    std::fprintf(stderr, "private stack under %s did not stop cleanly:\n%s\n", dir_.c_str(),
                 StackLogTail().c_str());
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

void PrivateStack::Kill(const std::string& server) {
  const pid_t pid = Pid(server);
  // The postmaster's children leave when they see it gone; a restart needs
  // them gone too (they hold its shared memory).
  std::vector<pid_t> processes = server == "postgres" ? ChildrenOf(pid) : std::vector<pid_t>{};
  processes.push_back(pid);
  REQUIRE_MESSAGE(kill(pid, SIGKILL) == 0, "cannot SIGKILL ", server, " (pid ", pid, ")");
  const bool gone = WaitUntil(
      [&] { return std::none_of(processes.begin(), processes.end(), Alive); }, kKillBound);
  REQUIRE_MESSAGE(gone, server, " (pid ", pid, ") still there ", kKillBound.count(),
                  " s after SIGKILL");
}

void PrivateStack::Freeze(const std::string& server) {
  const pid_t pid = Pid(server);
  frozen_.insert(pid);
  SignalAndWait(server, pid, SIGSTOP, [pid] { return StateOf(pid) == 'T'; });
}

void PrivateStack::Thaw(const std::string& server) {
  const pid_t pid = Pid(server);
  SignalAndWait(server, pid, SIGCONT, [pid] { return StateOf(pid) != 'T'; });
  frozen_.erase(pid);
}

void PrivateStack::SignalAndWait(const std::string& server, pid_t pid, int signo,
                                 const std::function<bool()>& done) {
  REQUIRE_MESSAGE(kill(pid, signo) == 0, "cannot send ", strsignal(signo), " to ", server, " (pid ",
                  pid, ")");
  REQUIRE_MESSAGE(WaitUntil(done, kKillBound), server, " (pid ", pid, ") not in the state ",
                  strsignal(signo), " asks for after ", kKillBound.count(), " s");
}

double PrivateStack::Restart(const std::string& server) {
  REQUIRE_MESSAGE(Has(server), server, " is not part of this private stack");
  const auto start = std::chrono::steady_clock::now();
  const bool up = RunStack({"up", server}, kStackCommandBound);
  REQUIRE_MESSAGE(up, server, " did not come back under ", dir_, ":\n", StackLogTail());
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

bool PrivateStack::RunStack(const std::vector<std::string>& args, std::chrono::seconds timeout) {
  const std::string script = std::string(WANDERLUXE_SOURCE_DIR) + "/scripts/stack";
  const std::string log = dir_ + "/stack.log";
  std::vector<std::string> words = {"bash", script};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    // Only what the servers should have: the stack's variables, the default
    // signal mask and dispositions (they inherit them), none of our fds.
    setenv("WANDERLUXE_STACK_DIR", dir_.c_str(), 1);
    for (const auto& [variable, port] : ports_)
      setenv(variable.c_str(), std::to_string(port).c_str(), 1);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    for (int signo : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD}) signal(signo, SIG_DFL);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    closefrom(3);
    execv("/bin/bash", argv.data());
    _exit(127);
  }
  if (pid < 0) return false;
  int status = 0;
  const bool ended = WaitUntil([&] { return waitpid(pid, &status, WNOHANG) == pid; }, timeout);
  if (!ended) {
    kill(pid, SIGKILL);  // the script only: the servers it started are not its children
    waitpid(pid, &status, 0);
    return false;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

std::string PrivateStack::StackLogTail() const {
  std::ifstream in(dir_ + "/stack.log");
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  return all.size() > kLogTailBytes ? all.substr(all.size() - kLogTailBytes) : all;
}

}  // namespace wanderluxe::testing
