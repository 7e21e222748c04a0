#include "support/drill_env.h"

#include <doctest/doctest.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "adapters/http/http_client.h"
#include "adapters/kafka/kafka_admin.h"
#include "adapters/kafka/kafka_consumer.h"
#include "adapters/kafka/kafka_producer.h"
#include "adapters/redis/redis_connect.h"
#include "support/servers.h"
#include "wanderluxe/audit_record.h"
#include "wanderluxe/booking_event.h"
#include "wanderluxe/ids.h"

namespace wanderluxe::testing {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

bool Healthy(const std::string& url) {
  HttpClient client(url, milliseconds(500));
  auto r = client.Send("GET", "/healthz");
  return r.ok() && r->status == 200;
}

int DistinctPort(const std::vector<int>& taken) {
  int port = FreeLoopbackPort();
  while (std::find(taken.begin(), taken.end(), port) != taken.end()) port = FreeLoopbackPort();
  return port;
}

}  // namespace

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string Listed(const std::vector<std::string>& items, size_t most) {
  std::string out;
  for (size_t i = 0; i < items.size() && i < most; ++i) out += " " + items[i];
  if (items.size() > most) out += " (+" + std::to_string(items.size() - most) + " more)";
  return out;
}

DrillEnv::DrillEnv(DrillSpec spec)
    : spec_(std::move(spec)), created_(std::chrono::steady_clock::now()) {
  dir_ = "/tmp/" + UniqueName("wanderluxe-drill-" + spec_.name);
  std::filesystem::create_directories(dir_);
  // Up first, so that the ports picked below skip those the private servers bound.
  if (!spec_.private_servers.empty()) {
    private_stack_ = std::make_unique<PrivateStack>(spec_.private_servers, dir_ + "/stack",
                                                    /*delete_dir=*/false, spec_.secure);
  }
  if (spec_.cluster != DrillSpec::Cluster::kNone) {
    private_cluster_ = std::make_unique<PrivateCluster>(
        dir_ + "/cluster", spec_.cluster == DrillSpec::Cluster::kNetns, /*delete_dir=*/false);
  }
  const int bank_port = DistinctPort({});
  gateway_port_ = DistinctPort({bank_port});
  bank_url_ = "http://127.0.0.1:" + std::to_string(bank_port);
  gateway_url_ = "http://127.0.0.1:" + std::to_string(gateway_port_);
  const std::string tag = spec_.name + "-" + std::to_string(bank_port);
  sets_ = {"kafka.requests_topic=" + UniqueName("drill-" + tag + "-requests"),
           "kafka.outcomes_topic=" + UniqueName("drill-" + tag + "-outcomes"),
           "kafka.dlq_topic=" + UniqueName("drill-" + tag + "-dlq"),
           "processor.group_id=" + UniqueName("drill-" + tag + "-processor"),
           "processor.admin_port=0",
           "audit.group_id=" + UniqueName("drill-" + tag + "-audit"),
           "audit.admin_port=0",
           "audit.dir=" + dir_ + "/audit",
           "mongo.database=drill" + std::to_string(getpid()) + "_" + std::to_string(bank_port),
           "bank.mode=http",
           "bank.port=" + std::to_string(bank_port),
           "bank.listen_host=127.0.0.1",
           "bank.url=" + bank_url_,
           "bank.latency_ms=20",
           "bank.book_path=" + dir_ + "/charges.jsonl",
           "gateway.listen_host=127.0.0.1",
           "gateway.port=" + std::to_string(gateway_port_)};
  if (private_cluster_) {
    const bool own_redis = private_stack_ && private_stack_->Has("redis");
    const std::vector<std::string> cluster = private_cluster_->Sets(
        own_redis ? PrivateCluster::Redis::kLeaveOut : PrivateCluster::Redis::kInclude);
    sets_.insert(sets_.end(), cluster.begin(), cluster.end());
  }
  if (private_stack_) {  // before the drill's own sets: those may override
    const std::vector<std::string> servers = private_stack_->Sets();
    sets_.insert(sets_.end(), servers.begin(), servers.end());
  }
  sets_.insert(sets_.end(), spec_.sets.begin(), spec_.sets.end());
  std::vector<std::string> own = sets_;  // this process's clients, passwords included
  if (private_stack_) {
    const std::vector<std::string> secrets = private_stack_->SecretSets();
    own.insert(own.end(), secrets.begin(), secrets.end());
  }
  config_ = LiveConfig(own);
  const int replicas = static_cast<int>(config_.kafka.replication_factor);
  const int min_insync = static_cast<int>(config_.kafka.min_insync_replicas);
  auto created = EnsureTopics(
      config_.kafka, {{config_.kafka.requests_topic, spec_.partitions, replicas, min_insync},
                      {config_.kafka.outcomes_topic, spec_.partitions, replicas, min_insync},
                      {config_.kafka.dlq_topic, 1, replicas, min_insync}});
  REQUIRE_MESSAGE(created.ok(), "Kafka: ", created.status().ToString(),
                  " -- start it with scripts/stack up");
  auto redis = ConnectRedis(config_.redis);
  auto mongo = MongoStore::Connect(config_.mongo);
  REQUIRE_MESSAGE(redis.ok(), "Redis: ", redis.status().ToString(), " -- scripts/stack up");
  REQUIRE_MESSAGE(mongo.ok(), "FerretDB: ", mongo.status().ToString(), " -- scripts/stack up");
  redis_ = std::move(*redis);
  mongo_ = std::move(*mongo);
  inventory_ = std::make_unique<RedisInventoryStore>(*redis_);
  ledger_ = std::make_unique<MongoLedger>(*mongo_);
  MESSAGE("drill ", spec_.name, ": logs in ", dir_);
}

DrillEnv::~DrillEnv() {
  for (auto& child : children_) child->Signal(SIGTERM);
  for (auto& child : children_) {
    if (!child->Wait(seconds(30))) child->Signal(SIGKILL);
  }
  children_.clear();  // reaps (SIGKILL) whatever is left
  // The private servers stop before their state may be removed with dir_.
  private_stack_.reset();
  private_cluster_.reset();
  if (passed_ && std::getenv("WANDERLUXE_DRILL_KEEP_LOGS") == nullptr)
    std::filesystem::remove_all(dir_);
}

std::vector<std::string> DrillEnv::Args(std::vector<std::string> role,
                                        const std::vector<std::string>& extra_sets) const {
  for (const auto& s : sets_) role.insert(role.end(), {"--set", s});
  for (const auto& s : extra_sets) role.insert(role.end(), {"--set", s});
  return role;
}

ChildProcess& DrillEnv::Start(const std::string& log_name, std::vector<std::string> role,
                              const std::vector<std::string>& extra_sets) {
  children_.push_back(std::make_unique<ChildProcess>(
      Args(std::move(role), extra_sets), dir_ + "/" + log_name + ".log", SecretEnvironment()));
  return *children_.back();
}

std::map<std::string, std::string> DrillEnv::SecretEnvironment() const {
  return private_stack_ ? private_stack_->SecretEnvironment()
                        : std::map<std::string, std::string>{};
}

std::vector<ChildProcess*> DrillEnv::StartEveryRole(int processors) {
  StartBank();
  StartAudit();
  std::vector<ChildProcess*> started;
  std::vector<std::string> names;
  for (int n = 1; n <= processors; ++n) {
    names.push_back(processors == 1 ? "processor" : "processor-" + std::to_string(n));
    started.push_back(&StartProcessor(names.back()));
  }
  REQUIRE_MESSAGE(WaitAssigned(names, seconds(90)), "the processors did not join their group; see ",
                  dir_);
  StartGateway();
  return started;
}

ChildProcess& DrillEnv::StartBank(const std::string& log_name) {
  ChildProcess& bank = Start(log_name, {"bank"});
  REQUIRE_MESSAGE(WaitUntil([&] { return Healthy(bank_url_); }, seconds(30)),
                  "bank did not answer /healthz in 30 s; see ", dir_);
  return bank;
}

ChildProcess& DrillEnv::StartAudit() { return Start("audit", {"audit"}); }

ChildProcess& DrillEnv::StartGateway() {
  ChildProcess& gateway = Start("gateway", {"gateway"});
  REQUIRE_MESSAGE(WaitUntil([&] { return Healthy(gateway_url_); }, seconds(30)),
                  "gateway did not answer /healthz in 30 s; see ", dir_);
  return gateway;
}

ChildProcess& DrillEnv::StartNamedGateway(const std::string& log_name) {
  if (log_name == "gateway") return StartGateway();
  if (gateway_ports_.count(log_name) == 0) {
    std::vector<int> taken = {gateway_port_, std::stoi(bank_url_.substr(bank_url_.rfind(':') + 1))};
    for (const auto& [name, port] : gateway_ports_) taken.push_back(port);
    gateway_ports_[log_name] = DistinctPort(taken);
  }
  const std::string url = NamedGatewayUrl(log_name);
  ChildProcess& gateway =
      Start(log_name, {"gateway"}, {"gateway.port=" + std::to_string(gateway_ports_[log_name])});
  REQUIRE_MESSAGE(WaitUntil([&] { return Healthy(url); }, seconds(30)), log_name,
                  " did not answer /healthz in 30 s; see ", dir_);
  return gateway;
}

std::string DrillEnv::NamedGatewayUrl(const std::string& log_name) const {
  if (log_name == "gateway") return gateway_url_;
  return "http://127.0.0.1:" + std::to_string(gateway_ports_.at(log_name));
}

ChildProcess& DrillEnv::StartProcessor(const std::string& log_name,
                                       std::vector<std::string> extra_sets) {
  const int port =
      DistinctPort({gateway_port_, std::stoi(bank_url_.substr(bank_url_.rfind(':') + 1))});
  admin_urls_[log_name] = "http://127.0.0.1:" + std::to_string(port);
  extra_sets.push_back("processor.admin_port=" + std::to_string(port));
  return Start(log_name, {"processor"}, extra_sets);
}

bool DrillEnv::WaitAssigned(const std::vector<std::string>& log_names,
                            std::chrono::seconds timeout) {
  return WaitUntil(
      [&] {
        for (const auto& name : log_names) {
          if (!LogContains(name, "] assigned ")) return false;
        }
        return true;
      },
      timeout);
}

int64_t DrillEnv::ProcessorMetric(const std::string& log_name, const std::string& metric) {
  HttpClient http(admin_urls_.at(log_name), seconds(2));
  auto r = http.Send("GET", "/metrics");
  if (!r.ok() || r->status != 200) return -1;
  std::istringstream lines(r->body);
  std::string line;
  double sum = 0;
  while (std::getline(lines, line)) {
    if (line.rfind(metric, 0) != 0) continue;
    const char next = line.size() > metric.size() ? line[metric.size()] : ' ';
    if (next != ' ' && next != '{') continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return static_cast<int64_t>(sum);
}

std::optional<int> DrillEnv::Stop(ChildProcess& child, std::chrono::seconds timeout) {
  child.Signal(SIGTERM);
  return child.Wait(timeout);
}

std::string DrillEnv::Property(const std::string& label, int64_t units) {
  const std::string property = UniqueName("prop-drill-" + label);
  Seed(property, units);
  return property;
}

void DrillEnv::Seed(const std::string& property, int64_t units) {
  auto seeded = inventory_->Seed(property, units, true);
  REQUIRE_MESSAGE(seeded.ok(), seeded.status().ToString());
}

void DrillEnv::PublishOne(const std::string& property, const std::string& booking_id) {
  if (!producer_) {
    auto producer = KafkaProducer::Create(config_.kafka);
    REQUIRE(producer.ok());
    producer_ = std::move(*producer);
  }
  BookingEvent e;
  e.event_id = NewUuid();
  e.timestamp = NowIso8601();
  e.request = {booking_id, property, "", {10000, "USD"}, "", ""};
  REQUIRE(producer_
              ->Publish({config_.kafka.requests_topic, property, EncodeBookingEvent(e), {}},
                        seconds(10))
              .ok());
}

std::vector<std::string> DrillEnv::BookingIds(const std::string& property, int count,
                                              const std::string& id_prefix) {
  const std::string prefix =
      (id_prefix.empty() ? property : id_prefix) + "-b" + std::to_string(published_++) + "-";
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) ids.push_back(prefix + std::to_string(i));
  return ids;
}

int DrillEnv::PublishIds(const std::string& property, const std::vector<std::string>& ids) {
  auto producer = KafkaProducer::Create(config_.kafka);
  if (!producer.ok()) return static_cast<int>(ids.size());
  // The producer waits for each delivery report: a few threads keep it busy.
  constexpr size_t kThreads = 8;
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (size_t t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < ids.size(); i += kThreads) {
        BookingEvent e;
        e.event_id = NewUuid();
        e.timestamp = NowIso8601();
        e.request = {ids[i], property, "", {10000, "USD"}, "", ""};
        Status s = (*producer)->Publish(
            {config_.kafka.requests_topic, property, EncodeBookingEvent(e), {}}, seconds(10));
        if (!s.ok()) ++failed;
      }
    });
  }
  for (auto& t : threads) t.join();
  return failed.load();
}

std::vector<std::string> DrillEnv::Publish(const std::string& property, int count,
                                           const std::string& id_prefix) {
  std::vector<std::string> ids = BookingIds(property, count, id_prefix);
  const int failed = PublishIds(property, ids);
  REQUIRE_MESSAGE(failed == 0, failed, " of ", count, " publishes failed");
  return ids;
}

std::map<BookingStatus, int64_t> DrillEnv::Counts(const std::vector<std::string>& properties) {
  std::map<BookingStatus, int64_t> total;
  for (const auto& p : properties) {
    auto c = ledger_->CountByStatus(p);
    if (!c.ok()) continue;
    for (const auto& [status, n] : *c) total[status] += n;
  }
  return total;
}

int64_t DrillEnv::Terminal(const std::vector<std::string>& properties) {
  int64_t n = 0;
  for (const auto& [status, count] : Counts(properties)) {
    if (IsTerminal(status)) n += count;
  }
  return n;
}

bool DrillEnv::WaitTerminal(const std::vector<std::string>& properties, int64_t expected,
                            std::chrono::seconds timeout) {
  // Counting over the sharded ledger is not free on a shared FerretDB: once a second.
  auto next = std::chrono::steady_clock::now();
  return WaitUntil(
      [&] {
        if (std::chrono::steady_clock::now() < next) return false;
        next = std::chrono::steady_clock::now() + seconds(1);
        return Terminal(properties) >= expected;
      },
      timeout);
}

bool DrillEnv::WaitAudited(std::chrono::seconds timeout, std::optional<int64_t> distinct_events) {
  const std::vector<ConsumedEvent> messages = ReadTopic(config_.kafka.requests_topic);
  std::set<std::string> ids;
  for (const ConsumedEvent& e : messages) ids.insert(MakeAuditRecord(e, "").archive_id);
  const int64_t events = distinct_events.value_or(static_cast<int64_t>(ids.size()));
  const std::string filter = nlohmann::json{{"topic", config_.kafka.requests_topic}}.dump();
  auto next = std::chrono::steady_clock::now();
  int64_t archived = -1;
  const bool all = WaitUntil(
      [&] {
        if (std::chrono::steady_clock::now() < next) return false;
        next = std::chrono::steady_clock::now() + seconds(1);
        auto counted = mongo_->Count(config_.audit.collection, filter);
        if (counted.ok()) archived = *counted;
        return counted.ok() && *counted >= events;
      },
      timeout);
  if (!all) {
    MESSAGE("audit: ", archived, " request events archived of ", events, " (", ids.size(),
            " distinct archive ids in ", messages.size(), " messages on the topic)");
  }
  return all;
}

std::vector<ConsumedEvent> DrillEnv::ReadTopic(const std::string& topic,
                                               std::chrono::seconds timeout) {
  auto total = CountMessages(config_.kafka, topic, seconds(10));
  REQUIRE_MESSAGE(total.ok(), total.status().ToString());
  std::vector<ConsumedEvent> events;
  if (*total == 0) return events;
  auto consumer = KafkaConsumer::Create(config_.kafka, UniqueName("drill-reader"));
  REQUIRE(consumer.ok());
  REQUIRE((*consumer)->Subscribe({topic}).ok());
  WaitUntil(
      [&] {
        // Everything the consumer has now, not one message per WaitUntil tick
        // (which read about 20 messages a second).
        while (static_cast<int64_t>(events.size()) < *total) {
          auto polled = (*consumer)->Poll(milliseconds(200));
          if (!polled.ok() || !polled->has_value()) break;
          events.push_back(std::move(**polled));
        }
        return static_cast<int64_t>(events.size()) >= *total;
      },
      timeout);
  (*consumer)->Close();
  CHECK_MESSAGE(static_cast<int64_t>(events.size()) == *total, "read ", events.size(), " of ",
                *total, " messages of ", topic);
  return events;
}

std::map<std::string, std::string> DrillEnv::BankBook() {
  HttpClient http(bank_url_, seconds(10));
  auto listed = http.Send("GET", "/v1/charges");
  REQUIRE_MESSAGE((listed.ok() && listed->status == 200), "cannot read the bank's book at ",
                  bank_url_);
  const nlohmann::json book = nlohmann::json::parse(listed->body);
  std::map<std::string, std::string> out;
  for (const auto& c : book["charges"])
    out[c["key"].get<std::string>()] = c["status"].get<std::string>();
  return out;
}

std::string DrillEnv::ReadLog(const std::string& log_name) const {
  std::ifstream in(dir_ + "/" + log_name + ".log");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

bool DrillEnv::LogContains(const std::string& log_name, const std::string& text) const {
  return ReadLog(log_name).find(text) != std::string::npos;
}

std::optional<int> DrillEnv::Verify(const std::vector<std::string>& properties) {
  std::vector<std::string> role = {"verify"};
  for (const auto& p : properties) role.insert(role.end(), {"--property", p});
  const auto start = std::chrono::steady_clock::now();
  ChildProcess verify(Args(role), dir_ + "/verify.log", SecretEnvironment());
  const auto exit = verify.Wait(seconds(180));
  MESSAGE("drill ", spec_.name, ": ", SecondsSince(created_), " s so far; wanderluxe verify (",
          SecondsSince(start), " s) exit ",
          exit ? std::to_string(*exit) : std::string("none (hung)"), ":\n", ReadLog("verify"));
  return exit;
}

std::map<std::string, DrillEnv::BankCharge> DrillEnv::BankCharges() {
  HttpClient http(bank_url_, seconds(10));
  auto listed = http.Send("GET", "/v1/charges");
  REQUIRE_MESSAGE((listed.ok() && listed->status == 200), "cannot read the bank's book at ",
                  bank_url_);
  const nlohmann::json book = nlohmann::json::parse(listed->body);
  std::map<std::string, BankCharge> out;
  for (const auto& c : book["charges"]) {
    out[c["key"].get<std::string>()] = {c["status"].get<std::string>(),
                                        c["transactionId"].get<std::string>()};
  }
  return out;
}

DrillEnv::AuditFiles DrillEnv::ReadAuditFiles() const {
  AuditFiles out;
  const std::filesystem::path dir = config_.audit.dir;
  if (!std::filesystem::exists(dir)) return out;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".jsonl") files.push_back(entry.path());  // not the lock file
  }
  std::sort(files.begin(), files.end());
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    ++out.files;
    if (!content.empty() && content.back() != '\n') ++out.unterminated;
    std::istringstream lines(content);
    for (std::string line; std::getline(lines, line);) out.lines.push_back(std::move(line));
  }
  return out;
}

DrillEnv::AuditFileTally DrillEnv::TallyAuditFiles() const {
  const AuditFiles files = ReadAuditFiles();
  AuditFileTally t;
  t.files = files.files;
  t.unterminated_files = files.unterminated;
  t.lines = files.lines.size();
  for (const auto& line : files.lines) {
    const auto doc = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_object() || !doc.contains("eventId") || !doc["eventId"].is_string() ||
        !doc.contains("offset")) {
      t.torn.push_back(line.substr(0, 80));
      continue;
    }
    ++t.lines_of_event[doc["eventId"].get<std::string>()];
    ++t.lines_of_offset[doc.value("topic", "") + "/" + std::to_string(doc.value("partition", -1)) +
                        "/" + std::to_string(doc.value("offset", int64_t{-1}))];
  }
  return t;
}

bool DrillEnv::CheckAuditFilesByEvent(std::chrono::seconds timeout) {
  std::map<std::string, std::map<std::string, int>> copies;  // topic -> eventId -> messages
  for (const std::string& topic : {config_.kafka.requests_topic, config_.kafka.outcomes_topic}) {
    for (const ConsumedEvent& e : ReadTopic(topic)) {
      const auto doc = nlohmann::json::parse(e.value, nullptr, /*allow_exceptions=*/false);
      if (doc.is_object() && doc.contains("eventId") && doc["eventId"].is_string())
        ++copies[topic][doc["eventId"].get<std::string>()];
    }
  }
  std::set<std::string> events;
  std::string published_again;
  for (const auto& [topic, of_event] : copies) {
    int64_t again = 0;
    for (const auto& [event, n] : of_event) {
      events.insert(event);
      again += n - 1;
    }
    published_again += " " + topic + ": " + std::to_string(again);
  }
  AuditFileTally files;
  auto next_read = std::chrono::steady_clock::now();
  const bool filed = WaitUntil(
      [&] {
        if (std::chrono::steady_clock::now() < next_read) return false;
        next_read = std::chrono::steady_clock::now() + std::chrono::seconds(1);
        files = TallyAuditFiles();
        return std::all_of(events.begin(), events.end(),
                           [&](const std::string& e) { return files.lines_of_event.count(e); });
      },
      timeout);
  std::vector<std::string> twice, missing, offset_twice;
  for (const auto& [event, n] : files.lines_of_event) {
    if (n > 1) twice.push_back(event + " x" + std::to_string(n));
  }
  for (const auto& [at, n] : files.lines_of_offset) {
    if (n > 1) offset_twice.push_back(at + " x" + std::to_string(n));
  }
  for (const auto& event : events) {
    if (!files.lines_of_event.count(event)) missing.push_back(event);
  }
  MESSAGE("file sink: ", files.files, " file(s), ", files.lines, " lines, ",
          files.lines_of_event.size(), " events of ", events.size(), " on the topics (copies ",
          "published again:", published_again, "); ", twice.size(), " events twice, ",
          offset_twice.size(), " offsets twice, ", files.torn.size(), " torn lines, ",
          files.unterminated_files, " unterminated files, ", missing.size(), " missing");
  CHECK_MESSAGE(filed, "the file sink holds ", events.size() - missing.size(), " of ",
                events.size(), " events after ", timeout.count(), " s");
  CHECK_MESSAGE(twice.empty(), "events on file more than once:", Listed(twice));
  CHECK_MESSAGE(offset_twice.empty(), "offsets on file more than once:", Listed(offset_twice));
  CHECK_MESSAGE(files.torn.empty(), "torn lines:", Listed(files.torn));
  CHECK(files.unterminated_files == 0);
  CHECK_MESSAGE(missing.empty(), "events not on file:", Listed(missing));
  return filed && twice.empty() && offset_twice.empty() && files.torn.empty() &&
         files.unterminated_files == 0 && missing.empty();
}

Result<int64_t> DrillEnv::AuditArchivedRequests() {
  const std::string filter = nlohmann::json{{"topic", config_.kafka.requests_topic}}.dump();
  return mongo_->Count(config_.audit.collection, filter);
}

ChildProcess& DrillEnv::StartAuditWithAdmin(const std::string& log_name) {
  const int port =
      DistinctPort({gateway_port_, std::stoi(bank_url_.substr(bank_url_.rfind(':') + 1))});
  admin_urls_[log_name] = "http://127.0.0.1:" + std::to_string(port);
  return Start(log_name, {"audit"}, {"audit.admin_port=" + std::to_string(port)});
}

PrivateStack& DrillEnv::private_stack() {
  REQUIRE_MESSAGE(private_stack_ != nullptr, "drill ", spec_.name, " has no private servers");
  return *private_stack_;
}

PrivateCluster& DrillEnv::private_cluster() {
  REQUIRE_MESSAGE(private_cluster_ != nullptr, "drill ", spec_.name, " has no private cluster");
  return *private_cluster_;
}

}  // namespace wanderluxe::testing
