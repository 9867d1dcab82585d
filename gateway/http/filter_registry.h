#pragma once

// Filters register a named factory at static-initialisation time; the chain
// file (conf/filters.yaml) then picks which run and in what order. The build
// decides which filters exist (their `config` targets are alwayslink).
//
// Example (in filters/<name>/config.cc):
//
//   namespace {
//   absl::StatusOr<gw::http::FilterFactoryCb> create(const YAML::Node& config,
//                                                    const gw::http::FactoryContext& ctx) {
//     auto parsed = std::make_shared<const MyConfig>(...);   // parse once
//     return [parsed] { return std::make_unique<MyFilter>(parsed); };
//   }
//   const gw::http::RegisterFilter kRegister("my_filter", create);
//   }  // namespace

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "gateway/http/filter.h"

namespace YAML {
class Node;
}
namespace gw::conf {
struct Config;
}
namespace gw::router {
class RouteTable;
}

namespace gw::http {

// What a factory may read while parsing its config (start-up thread only).
struct FactoryContext {
  const conf::Config& config;
  stats::Store& stats;
  // The APIs being served, for filters that precompute per-route state; may be null.
  const router::RouteTable* routes = nullptr;
  // The names of the chain's filters, in order (empty when unknown), so an auth
  // filter can leave a credential it does not validate to a later filter.
  std::vector<std::string> chain_names;
  bool chainHas(const std::string& name) const {
    for (const std::string& n : chain_names) {
      if (n == name) return true;
    }
    return false;
  }
};

// Parses a filter's `config:` node (Null when absent) once, at start-up.
// Errors name the key and what was expected; the caller adds file and entry.
// Use conf/filter_config.h to read it. An exception that escapes (e.g. as<T>()
// on a value of the wrong type) becomes a start-up error in buildFilterChain.
using FilterConfigFactory =
    std::function<absl::StatusOr<FilterFactoryCb>(const YAML::Node& config, const FactoryContext&)>;

class FilterRegistry {
 public:
  static FilterRegistry& instance();

  // Returns false when `name` is already taken (the second registration loses).
  bool add(const std::string& name, FilterConfigFactory factory);
  const FilterConfigFactory* find(const std::string& name) const;
  std::vector<std::string> names() const;
  // Names registered twice, reported as a start-up error.
  const std::vector<std::string>& duplicates() const { return duplicates_; }

 private:
  std::map<std::string, FilterConfigFactory> factories_;
  std::vector<std::string> duplicates_;
};

// Static registration helper: `const RegisterFilter kReg("name", factory);`
struct RegisterFilter {
  RegisterFilter(const std::string& name, FilterConfigFactory factory) {
    FilterRegistry::instance().add(name, std::move(factory));
  }
};

}  // namespace gw::http
