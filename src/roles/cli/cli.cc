#include "roles/cli/cli.h"

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <functional>
#include <string>
#include <deque>
#include <vector>

#include "roles/cli/role.h"
#include "roles/topics/topics_role.h"
#include "wanderluxe/log.h"

namespace wanderluxe {
namespace {

using RoleMain = std::function<int(const RoleContext&)>;

// One subcommand the user can pick, and what runs when they do.
struct Command {
  CLI::App* app = nullptr;
  std::string name;
  RoleMain run;
  bool check_only = false;  // --check: validate config and exit
  bool long_running = false;
};

int NotYetBuilt(const std::string& name) {
  std::fprintf(stderr, "wanderluxe %s: not yet built\n", name.c_str());
  return kExitUsage;
}

}  // namespace

int RunCli(int argc, char** argv) {
  CLI::App app{"wanderluxe: the WanderLuxe flash-sale booking engine"};
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the subcommand
  std::string config_path = "config/wanderluxe.yaml";
  std::vector<std::string> sets;
  app.add_option("--config", config_path, "YAML config file")->capture_default_str();
  app.add_option("--set", sets, "override one key: section.key=value (repeatable)");

  std::deque<Command> commands;  // deque: flags bind to members, which must not move
  auto role = [&](const std::string& name, const std::string& about, RoleMain run,
                  bool long_running) {
    commands.push_back({app.add_subcommand(name, about), name, std::move(run), false, long_running});
    commands.back().app->add_flag("--check", commands.back().check_only,
                                  "validate the config and exit");
  };
  role("gateway", "HTTP ingress: validate, deduplicate, publish to Kafka, answer 202",
       [](const RoleContext&) { return NotYetBuilt("gateway"); }, true);
  role("processor", "Kafka consumer and worker pool running the booking saga",
       [](const RoleContext&) { return NotYetBuilt("processor"); }, true);
  role("audit", "second consumer group archiving every event",
       [](const RoleContext&) { return NotYetBuilt("audit"); }, true);
  role("bank", "mock bank: idempotent charges, void, fault injection",
       [](const RoleContext&) { return NotYetBuilt("bank"); }, true);
  role("seed", "set a property's inventory",
       [](const RoleContext&) { return NotYetBuilt("seed"); }, false);
  role("loadtest", "thundering-herd client with invariant checks",
       [](const RoleContext&) { return NotYetBuilt("loadtest"); }, false);
  role("verify", "check the invariants over Redis, the ledger and the bank",
       [](const RoleContext&) { return NotYetBuilt("verify"); }, false);
  role("reconcile", "find and repair stuck sagas",
       [](const RoleContext&) { return NotYetBuilt("reconcile"); }, false);

  CLI::App* topics = app.add_subcommand("topics", "Kafka topic administration");
  topics->require_subcommand(1);
  CLI::App* topics_ensure = topics->add_subcommand("ensure", "create the booking topics if missing");
  commands.push_back({topics_ensure, "topics", RunTopicsEnsure});

  CLI::App* config_cmd = app.add_subcommand("config", "configuration tools");
  config_cmd->require_subcommand(1);
  CLI::App* config_check =
      config_cmd->add_subcommand("check", "print the effective config, or the first error");
  commands.push_back({config_check, "config", [](const RoleContext& context) {
                        std::fputs(RenderConfig(context.config).c_str(), stdout);
                        return kExitOk;
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
