#include "roles/seed/seed_role.h"

#include <spdlog/spdlog.h>
#include <yaml-cpp/yaml.h>
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "adapters/redis/redis_connect.h"
#include "adapters/redis/redis_inventory_store.h"
#include "wanderluxe/booking_request.h"

namespace wanderluxe {
namespace {

struct SeedOptions {
  std::string property_id;
  int64_t units = -1;
  std::string file;
  bool force = false;
};

// props.yaml: a map of propertyId -> units.
Result<std::vector<std::pair<std::string, int64_t>>> ReadSeedFile(const std::string& path) {
  std::vector<std::pair<std::string, int64_t>> out;
  try {
    YAML::Node root = YAML::LoadFile(path);
    if (!root.IsMap())
      return Status::InvalidArgument(path + ": expected a map of propertyId: units");
    for (const auto& entry : root) {
      out.emplace_back(entry.first.as<std::string>(), entry.second.as<int64_t>());
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.mark.line + 1) + ": " + e.msg);
  }
  return out;
}

int RunSeed(const RoleContext& context, const SeedOptions& o) {
  std::vector<std::pair<std::string, int64_t>> seeds;
  if (!o.file.empty()) {
    auto read = ReadSeedFile(o.file);
    if (!read.ok()) {
      std::fprintf(stderr, "wanderluxe seed: %s\n", read.status().message().c_str());
      return kExitUsage;
    }
    seeds = std::move(*read);
  } else if (!o.property_id.empty() && o.units >= 0) {
    seeds.emplace_back(o.property_id, o.units);
  } else {
    std::fprintf(stderr, "wanderluxe seed: give <propertyId> <units>, or --file props.yaml\n");
    return kExitUsage;
  }
  for (const auto& [property, units] : seeds) {
    if (!IsValidId(property) || units < 0) {
      std::fprintf(stderr,
                   "wanderluxe seed: '%s' %lld: property must be [A-Za-z0-9._:-]{1,64}, "
                   "units >= 0\n",
                   property.c_str(), static_cast<long long>(units));
      return kExitUsage;
    }
  }
  auto redis = ConnectRedis(context.config.redis);
  if (!redis.ok()) {
    spdlog::error("seed: {}", redis.status().ToString());
    return kExitFailure;
  }
  RedisInventoryStore inventory(**redis);
  int exit = kExitOk;
  for (const auto& [property, units] : seeds) {
    auto result = inventory.Seed(property, units, o.force);
    if (!result.ok()) {
      spdlog::error("seed {}: {}", property, result.status().ToString());
      return kExitFailure;
    }
    const InventoryLevels& l = result->levels;
    if (!result->applied) {
      std::printf("%s: refused: %lld units are held or sold already (use --force)\n",
                  property.c_str(), static_cast<long long>(l.held + l.sold));
      exit = kExitFailure;
    }
    const std::string total =
        l.total ? std::to_string(*l.total) : std::string("not recorded (set by hand)");
    std::printf("%s: total %s, available %lld, held %lld, sold %lld, waiting %lld\n",
                property.c_str(), total.c_str(), static_cast<long long>(l.available),
                static_cast<long long>(l.held), static_cast<long long>(l.sold),
                static_cast<long long>(l.waiting));
    if (!result->handed_to.empty()) {
      // The processor's reconciler goes on with each of them (charge, confirm).
      std::printf("%s: %zu new units handed to waiting bookings, first in line first: %s%s\n",
                  property.c_str(), result->handed_to.size(), result->handed_to.front().c_str(),
                  result->handed_to.size() > 1 ? " ..." : "");
    }
  }
  return exit;
}

}  // namespace

RoleMain AddSeedCommand(CLI::App& command) {
  auto o = std::make_shared<SeedOptions>();
  command.add_option("propertyId", o->property_id, "the property, e.g. prop-dubai-royal");
  command.add_option("units", o->units, "units for sale in total (held and sold included)");
  command.add_option("--file", o->file, "YAML map of propertyId: units");
  command.add_flag("--force", o->force, "set even below what is held or sold");
  return [o](const RoleContext& context) { return RunSeed(context, *o); };
}

}  // namespace wanderluxe
