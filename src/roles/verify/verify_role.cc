#include "roles/verify/verify_role.h"

#include <spdlog/spdlog.h>
#include <CLI/CLI.hpp>

#include <memory>

#include "adapters/mongo/mongo_ledger.h"
#include "adapters/redis/redis_connect.h"
#include "adapters/redis/redis_inventory_store.h"
#include "roles/common/invariants.h"

namespace wanderluxe {
namespace {

int RunVerify(const RoleContext& context, const std::vector<std::string>& properties) {
  auto redis = ConnectRedis(context.config.redis);
  auto mongo = MongoStore::Connect(context.config.mongo);
  if (!redis.ok() || !mongo.ok()) {
    spdlog::error("verify: {}", (redis.ok() ? mongo.status() : redis.status()).ToString());
    return kExitFailure;
  }
  RedisInventoryStore inventory(**redis);
  MongoLedger ledger(**mongo);
  InvariantChecker checker(context.config, **redis, **mongo, inventory, inventory, ledger, ledger);
  return PrintInvariants(checker.Check({properties, std::nullopt})) ? kExitOk : kExitFailure;
}

}  // namespace

RoleMain AddVerifyCommand(CLI::App& command) {
  auto properties = std::make_shared<std::vector<std::string>>();
  command.add_option("--property", *properties, "check only these properties (repeatable)");
  return [properties](const RoleContext& context) { return RunVerify(context, *properties); };
}

}  // namespace wanderluxe
