#include "roles/cli/cli.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "roles/audit/audit_role.h"
#include "roles/bank/bank_role.h"
#include "roles/cli/keys_hash.h"
#include "roles/common/role_context.h"
#include "roles/gateway/gateway_role.h"
#include "roles/loadtest/loadtest_role.h"
#include "roles/processor/processor_role.h"
#include "roles/reconcile/reconcile_role.h"
#include "roles/seed/seed_role.h"
#include "roles/topics/topics_role.h"
#include "roles/verify/verify_role.h"
#include "wanderluxe/log.h"

namespace wanderluxe {
namespace {

// One subcommand the user can pick, and what runs when they do.
struct Command {
  CLI::App* app = nullptr;
  std::string name;
  RoleMain run;
  bool check_only = false;  // --check: validate config and exit
  bool long_running = false;
};

}  // namespace

int NotYetBuilt(const std::string& role) {
  std::fprintf(stderr, "wanderluxe %s: not yet built\n", role.c_str());
  return kExitUsage;
}

int RunCli(int argc, char** argv) {
  CLI::App app{"wanderluxe: the WanderLuxe flash-sale booking engine"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  std::string config_path = "config/wanderluxe.yaml";
  std::vector<std::string> sets;
  app.add_option("--config", config_path, "YAML config file")->capture_default_str();
  app.add_option("--set", sets, "override one key: section.key=value (repeatable)");

  std::deque<Command> commands;  // deque: flags bind to members, which must not move
  using AddCommand = RoleMain (*)(CLI::App&);
  auto role = [&](const std::string& name, const std::string& about, AddCommand add,
                  bool long_running) {
    CLI::App* sub = app.add_subcommand(name, about);
    commands.push_back({sub, name, add(*sub), false, long_running});
    sub->add_flag("--check", commands.back().check_only, "validate the config and exit");
  };
  role("gateway", "HTTP ingress: validate, deduplicate, publish to Kafka, answer 202",
       AddGatewayCommand, true);
  role("processor", "Kafka consumer and worker pool running the booking saga", AddProcessorCommand,
       true);
  role("audit", "second consumer group archiving every event", AddAuditCommand, true);
  role("bank", "mock bank: idempotent charges, void, fault injection", AddBankCommand, true);
  role("seed", "set a property's inventory", AddSeedCommand, false);
  role("loadtest", "thundering-herd client with invariant checks", AddLoadtestCommand, false);
  role("verify", "check the invariants over Redis, the ledger and the bank", AddVerifyCommand,
       false);
  role("reconcile", "find and repair stuck sagas", AddReconcileCommand, false);

  CLI::App* topics = app.add_subcommand("topics", "Kafka topic administration");
  topics->require_subcommand(1);
  CLI::App* topics_ensure =
      topics->add_subcommand("ensure", "create the booking topics if missing");
  commands.push_back({topics_ensure, "topics", RunTopicsEnsure});
  topics_ensure->add_flag("--check", commands.back().check_only, "validate the config and exit");

  CLI::App* config_cmd = app.add_subcommand("config", "configuration tools");
  config_cmd->require_subcommand(1);
  CLI::App* config_check =
      config_cmd->add_subcommand("check", "print the effective config, or the first error");
  commands.push_back({config_check, "config", [](const RoleContext& context) {
                        std::fputs(RenderConfig(context.config).c_str(), stdout);
                        return kExitOk;
                      }});

  CLI::App* keys_cmd = app.add_subcommand("keys", "API key tools");
  keys_cmd->require_subcommand(1);
  std::string hash_client;
  CLI::App* keys_hash = keys_cmd->add_subcommand(
      "hash", "read a key on stdin; print its gateway.api_keys entry as an HMAC");
  keys_hash->add_option("client-id", hash_client, "the client the key names")->required();
  commands.push_back({keys_hash, "keys", [&hash_client](const RoleContext& context) {
                        return RunKeysHash(context, hash_client);
                      }});

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }

  for (const Command& command : commands) {
    if (!command.app->parsed()) continue;
    auto config = LoadConfig({config_path, WanderluxeEnvironment(), sets});
    if (!config.ok()) {
      std::fprintf(stderr, "wanderluxe: config error: %s\n", config.status().message().c_str());
      return kExitUsage;
    }
    for (const std::string& secret : SecretsInSets(sets)) {
      std::fprintf(stderr,
                   "wanderluxe: warning: %s was given with --set, where any user of this machine "
                   "can read it (ps); give it in the config file or a WANDERLUXE_ variable%s\n",
                   secret.c_str(),
                   secret == "gateway.api_keys" ? ", or use gateway.api_keys_file" : "");
    }
    if (command.check_only) {
      std::printf("wanderluxe %s: config %s is valid\n", command.name.c_str(), config_path.c_str());
      return kExitOk;
    }
    SetUpLogging(config->log, command.name);
    if (command.long_running) spdlog::info("effective config:\n{}", RenderConfig(*config));
    return command.run(RoleContext{std::move(*config), config_path});
  }
  return kExitUsage;
}

}  // namespace wanderluxe
