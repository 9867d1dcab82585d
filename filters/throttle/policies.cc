#include "filters/throttle/policies.h"

#include <yaml-cpp/yaml.h>

#include <fstream>
#include <sstream>

#include "gateway/common/strcat.h"

namespace gw::filters::throttle {
namespace {

constexpr int64_t kSecond = 1000;
constexpr int64_t kDay = 24 * 3600 * kSecond;

// Milliseconds per timeUnit, or 0 for an unknown unit.
int64_t unitMillis(std::string unit) {
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (unit.size() > 1 && unit.back() == 's' && unit != "ms") unit.pop_back();
  if (unit == "ms" || unit == "millisecond") return 1;
  if (unit == "s" || unit == "sec" || unit == "second") return kSecond;
  if (unit == "m" || unit == "min" || unit == "minute") return 60 * kSecond;
  if (unit == "h" || unit == "hour") return 3600 * kSecond;
  if (unit == "d" || unit == "day") return kDay;
  if (unit == "week") return 7 * kDay;
  if (unit == "month") return 30 * kDay;
  if (unit == "year") return 365 * kDay;
  return 0;
}

absl::Status parseEntry(const YAML::Node& body, const std::string& where, Policy& out) {
  if (!body.IsMap()) return absl::InvalidArgumentError(gw::cat(where, ": expected a map"));
  for (const auto& kv : body) {
    const std::string key = kv.first.as<std::string>();
    if (key != "count" && key != "unitTime" && key != "timeUnit" && key != "stopOnQuotaReach") {
      return absl::InvalidArgumentError(
          gw::cat(where, ": unknown key '", key,
                  "' (expected count, unitTime, timeUnit, stopOnQuotaReach)"));
    }
  }
  if (!body["count"] || !body["unitTime"] || !body["timeUnit"]) {
    return absl::InvalidArgumentError(
        gw::cat(where, ": count, unitTime and timeUnit are required"));
  }
  out.count = body["count"].as<int64_t>();
  const int64_t unit_time = body["unitTime"].as<int64_t>();
  const std::string unit = body["timeUnit"].as<std::string>();
  const int64_t unit_ms = unitMillis(unit);
  if (out.count < 0 || unit_time < 1) {
    return absl::InvalidArgumentError(gw::cat(where, ": count must be >= 0 and unitTime >= 1"));
  }
  if (unit_ms == 0) {
    return absl::InvalidArgumentError(gw::cat(
        where, ": timeUnit '", unit, "' is not one of sec, min, hour, day, week, month, year"));
  }
  out.window_ms = unit_time * unit_ms;
  if (body["stopOnQuotaReach"]) out.stop_on_quota_reach = body["stopOnQuotaReach"].as<bool>();
  return absl::OkStatus();
}

}  // namespace

const Policy* PolicySet::find(Level level, std::string_view name) const {
  const auto& m = map(level);
  auto it = m.find(name);
  return it == m.end() ? nullptr : &it->second;
}

bool PolicySet::known(Level level, std::string_view name) const {
  return name == kUnlimited || find(level, name) != nullptr;
}

absl::StatusOr<PolicySet> PolicySet::parse(std::string_view yaml, const std::string& file) {
  static const std::pair<const char*, Level> kLists[] = {
      {"resourcePolicies", Level::Resource},
      {"applicationPolicies", Level::Application},
      {"subscriptionPolicies", Level::Subscription}};
  PolicySet out;
  try {
    YAML::Node root = YAML::Load(std::string(yaml));
    if (root.IsNull()) return out;
    if (!root.IsMap()) return absl::InvalidArgumentError(gw::cat(file, ": expected a map"));
    for (const auto& kv : root) {
      const std::string key = kv.first.as<std::string>();
      bool known = false;
      for (const auto& [name, level] : kLists) known = known || key == name;
      if (!known) {
        return absl::InvalidArgumentError(
            gw::cat(file, ": unknown key '", key,
                    "' (expected resourcePolicies, applicationPolicies, subscriptionPolicies)"));
      }
    }
    for (const auto& [list_name, level] : kLists) {
      const YAML::Node list = root[list_name];
      if (!list || list.IsNull()) continue;
      if (!list.IsSequence()) {
        return absl::InvalidArgumentError(
            gw::cat(file, ": '", list_name, "' must be a list of '- <Name>: {count, ...}'"));
      }
      for (size_t i = 0; i < list.size(); ++i) {
        const std::string where = gw::cat(file, ": '", list_name, "[", i, "]'");
        if (!list[i].IsMap() || list[i].size() != 1) {
          return absl::InvalidArgumentError(
              gw::cat(where, ": expected one '<Name>: {count, unitTime, timeUnit}'"));
        }
        Policy p;
        p.name = list[i].begin()->first.as<std::string>();
        if (absl::Status s = parseEntry(list[i].begin()->second, gw::cat(where, " ", p.name), p);
            !s.ok()) {
          return s;
        }
        if (p.name == kUnlimited) {
          return absl::InvalidArgumentError(
              gw::cat(where, ": 'Unlimited' is built in and cannot be redefined"));
        }
        if (!out.map(level).emplace(p.name, p).second) {
          return absl::InvalidArgumentError(gw::cat(where, ": '", p.name, "' is defined twice"));
        }
      }
    }
  } catch (const YAML::Exception& e) {
    // The YAML library's message quotes no values; it has the line and column.
    return absl::InvalidArgumentError(gw::cat(
        file, ": invalid policies file at line ", e.mark.line + 1, ", column ", e.mark.column + 1,
        ": check the YAML syntax, that names and timeUnit are strings, count and "
        "unitTime integers and stopOnQuotaReach a boolean"));
  }
  return out;
}

absl::StatusOr<PolicySet> PolicySet::load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(gw::cat(path, ": cannot open the policies file"));
  std::ostringstream text;
  text << in.rdbuf();
  return parse(text.str(), path);
}

const PolicySet& PolicySet::wso2Defaults() {
  static const PolicySet* defaults = [] {
    constexpr char kYaml[] = R"(
resourcePolicies:
  - 50kPerMin: {count: 50000, unitTime: 1, timeUnit: min}
  - 20kPerMin: {count: 20000, unitTime: 1, timeUnit: min}
  - 10kPerMin: {count: 10000, unitTime: 1, timeUnit: min}
applicationPolicies:
  - 50PerMin: {count: 50, unitTime: 1, timeUnit: min}
  - 20PerMin: {count: 20, unitTime: 1, timeUnit: min}
  - 10PerMin: {count: 10, unitTime: 1, timeUnit: min}
subscriptionPolicies:
  - Gold: {count: 5000, unitTime: 1, timeUnit: min, stopOnQuotaReach: true}
  - Silver: {count: 2000, unitTime: 1, timeUnit: min, stopOnQuotaReach: true}
  - Bronze: {count: 10, unitTime: 1, timeUnit: min, stopOnQuotaReach: true}
  - Unauthenticated: {count: 500, unitTime: 1, timeUnit: min, stopOnQuotaReach: true}
  - Default: {count: 500, unitTime: 1, timeUnit: min, stopOnQuotaReach: true}
)";
    return new PolicySet(*parse(kYaml, "built-in policies"));
  }();
  return *defaults;
}

}  // namespace gw::filters::throttle
