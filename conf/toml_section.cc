#include "conf/toml_section.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "conf/suggest.h"

namespace gw::conf {
namespace {

// WSO2 API Microgateway 3.x keys that microgw accepts but does not implement.
const std::vector<std::string>& ignoredWso2Keys() {
  static const auto* keys = new std::vector<std::string>{
      "listenerConfig.httpsPort",          "listenerConfig.keyStorePath",
      "listenerConfig.keyStorePassword",   "listenerConfig.trustStorePath",
      "listenerConfig.trustStorePassword", "listenerConfig.tokenListenerPort",
      "tokenRevocationConfig.realtime",  // JMS from the API Manager: not implemented
  };
  return *keys;
}

std::string typeName(const std::shared_ptr<cpptoml::base>& node) {
  if (node->is_table()) return "a table";
  if (node->is_table_array()) return "an array of tables";
  if (node->is_array()) return "an array";
  if (node->as<std::string>()) return "a string";
  if (node->as<int64_t>()) return "an integer";
  if (node->as<bool>()) return "a boolean";
  if (node->as<double>()) return "a float";
  return "a date/time";
}

}  // namespace

TomlSection::TomlSection(std::shared_ptr<cpptoml::table> table, std::string file, std::string path,
                         std::vector<std::string>* warnings)
    : table_(std::move(table)),
      file_(std::move(file)),
      path_(std::move(path)),
      warnings_(warnings) {}

bool TomlSection::has(const std::string& key) const {
  return table_ != nullptr && table_->contains(key);
}

std::string TomlSection::fullKey(absl::string_view key) const {
  if (path_.empty()) return std::string(key);
  if (key.empty()) return path_;
  return absl::StrCat(path_, ".", key);
}

std::string TomlSection::keyName(absl::string_view key) const {
  return absl::StrCat(file_, ": '", fullKey(key), "'");
}

absl::Status TomlSection::typeError(const std::string& key, absl::string_view expected) const {
  return absl::InvalidArgumentError(
      absl::StrCat(keyName(key), " must be ", expected, ", got ", typeName(table_->get(key))));
}

absl::Status TomlSection::checkKeys(const std::vector<std::string>& keys,
                                    const std::vector<std::string>& sections) const {
  if (table_ == nullptr) return absl::OkStatus();
  std::vector<std::string> present;
  for (const auto& [key, node] : *table_) present.push_back(key);
  std::sort(present.begin(), present.end());  // deterministic first error
  std::vector<std::string> candidates = keys;
  candidates.insert(candidates.end(), sections.begin(), sections.end());
  for (const std::string& key : present) {
    if (std::find(candidates.begin(), candidates.end(), key) != candidates.end()) continue;
    const std::string full = fullKey(key);
    const auto& ignored = ignoredWso2Keys();
    if (std::find(ignored.begin(), ignored.end(), full) != ignored.end()) {
      warnings_->push_back(
          absl::StrCat(file_, ": '", full,
                       "' is a WSO2 API Microgateway setting microgw does not implement; "
                       "ignored"));
      continue;
    }
    const bool is_section = table_->get(key)->is_table();
    std::string message =
        absl::StrCat(file_, ": unknown ", is_section ? "section" : "key", " '", full, "'");
    if (std::string hint = closestMatch(key, candidates); !hint.empty()) {
      absl::StrAppend(&message, " (did you mean '", hint, "'?)");
    }
    return absl::InvalidArgumentError(message);
  }
  return absl::OkStatus();
}

absl::Status TomlSection::readString(const std::string& key, std::string& out) const {
  std::optional<std::string> value;
  absl::Status status = readOptionalString(key, value);
  if (status.ok() && value) out = *std::move(value);
  return status;
}

absl::Status TomlSection::readOptionalString(const std::string& key,
                                             std::optional<std::string>& out) const {
  if (!has(key)) return absl::OkStatus();
  auto value = table_->get(key)->as<std::string>();
  if (!value) return typeError(key, "a string");
  out = value->get();
  return absl::OkStatus();
}

absl::Status TomlSection::readBool(const std::string& key, bool& out) const {
  std::optional<bool> value;
  absl::Status status = readOptionalBool(key, value);
  if (status.ok() && value) out = *value;
  return status;
}

absl::Status TomlSection::readOptionalBool(const std::string& key, std::optional<bool>& out) const {
  if (!has(key)) return absl::OkStatus();
  auto value = table_->get(key)->as<bool>();
  if (!value) return typeError(key, "a boolean (true or false)");
  out = value->get();
  return absl::OkStatus();
}

absl::Status TomlSection::readStringArray(const std::string& key,
                                          std::vector<std::string>& out) const {
  if (!has(key)) return absl::OkStatus();
  auto array = table_->get(key)->as_array();
  if (!array) return typeError(key, "an array of strings");
  std::vector<std::string> values;
  for (size_t i = 0; i < array->get().size(); ++i) {
    auto value = array->get()[i]->as<std::string>();
    if (!value) {
      return absl::InvalidArgumentError(absl::StrCat(keyName(key), " must be an array of strings, ",
                                                     "element ", i, " is not a string"));
    }
    values.push_back(value->get());
  }
  out = std::move(values);
  return absl::OkStatus();
}

absl::Status TomlSection::readInteger(const std::string& key, int64_t min, int64_t max,
                                      int64_t& out) const {
  if (!has(key)) return absl::OkStatus();
  auto value = table_->get(key)->as<int64_t>();
  if (!value) return typeError(key, "an integer");
  if (value->get() < min || value->get() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(keyName(key), " must be between ", min, " and ", max, ", got ", value->get()));
  }
  out = value->get();
  return absl::OkStatus();
}

absl::StatusOr<TomlSection> TomlSection::section(const std::string& key) const {
  if (!has(key)) return TomlSection(nullptr, file_, fullKey(key), warnings_);
  auto table = table_->get(key)->as_table();
  if (!table) return typeError(key, "a table ([" + fullKey(key) + "])");
  return TomlSection(table, file_, fullKey(key), warnings_);
}

absl::Status TomlSection::readDouble(const std::string& key, double min, double max,
                                     double& out) const {
  if (!has(key)) return absl::OkStatus();
  double value = 0;
  if (auto d = table_->get(key)->as<double>()) {
    value = d->get();
  } else if (auto i = table_->get(key)->as<int64_t>()) {
    value = static_cast<double>(i->get());
  } else {
    return typeError(key, "a number");
  }
  if (value < min || value > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(keyName(key), " must be between ", min, " and ", max, ", got ", value));
  }
  out = value;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TomlSection>> TomlSection::sectionArray(const std::string& key) const {
  std::vector<TomlSection> out;
  if (!has(key)) return out;
  if (auto table = table_->get(key)->as_table()) {
    out.emplace_back(table, file_, fullKey(key), warnings_);
    return out;
  }
  auto array = table_->get_table_array(key);
  if (!array) return typeError(key, "an array of tables ([[" + fullKey(key) + "]])");
  size_t i = 0;
  for (const auto& table : *array) {
    out.emplace_back(table, file_, absl::StrCat(fullKey(key), "[", i++, "]"), warnings_);
  }
  return out;
}

}  // namespace gw::conf
