#include "conf/toml_section.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "conf/environment.h"
#include "conf/status_macros.h"
#include "conf/suggest.h"
#include "conf/wso2_compat.h"

namespace gw::conf {
namespace {

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

bool isTableLike(const std::shared_ptr<cpptoml::base>& node) {
  return node->is_table() || node->is_table_array();
}

bool isDisabledTable(const std::shared_ptr<cpptoml::table>& table);

bool isDisabledNode(const std::shared_ptr<cpptoml::base>& node) {
  if (node->is_table()) return isDisabledTable(node->as_table());
  if (!node->is_table_array()) return false;
  for (const auto& t : *node->as_table_array()) {
    if (!isDisabledTable(t)) return false;
  }
  return true;
}

// Switched off (enable = false and the like), or made only of switched-off
// sub-tables (WSO2's [analytics] with every uploader disabled).
bool isDisabledTable(const std::shared_ptr<cpptoml::table>& table) {
  bool has_switch = false, has_sub = false, all_sub_disabled = true;
  for (const auto& [key, node] : *table) {
    if (isWso2SwitchKey(key)) {
      if (auto on = node->as<bool>(); on && !on->get()) return true;
      has_switch = true;
    } else if (isTableLike(node)) {
      has_sub = true;
      all_sub_disabled = all_sub_disabled && isDisabledNode(node);
    }
  }
  return !has_switch && has_sub && all_sub_disabled;
}

bool conditionHolds(const Wso2Entry& e, const std::shared_ptr<cpptoml::base>& node) {
  switch (e.when) {
    case Wso2When::Present:
      return true;
    case Wso2When::True: {
      auto value = node->as<bool>();
      return value && value->get();
    }
    case Wso2When::Equals:
    case Wso2When::NotEquals: {
      auto value = node->as<std::string>();
      const bool equal = value && value->get() == e.value;
      return (e.when == Wso2When::Equals) == equal;
    }
  }
  return false;
}

std::vector<std::string> sortedKeys(const cpptoml::table& table) {
  std::vector<std::string> keys;
  for (const auto& [key, node] : table) keys.push_back(key);
  std::sort(keys.begin(), keys.end());  // deterministic order of messages
  return keys;
}

// An error that stopped a reader is left out when an error already recorded
// is about the same table ('jwtTokenConfig[0].jwksUrl' unknown, then
// 'jwtTokenConfig[0]' needing jwksURL): it is most likely a consequence.
bool isConsequence(const std::string& last, const std::vector<std::string>& recorded) {
  if (std::find(recorded.begin(), recorded.end(), last) != recorded.end()) return true;
  const size_t open = last.find(": '");
  if (open == std::string::npos) return false;
  const size_t close = last.find('\'', open + 3);
  if (close == std::string::npos) return false;
  std::string table = last.substr(open + 3, close - open - 3);
  if (const size_t dot = table.rfind('.'); dot != std::string::npos) table.resize(dot);
  for (const std::string& e : recorded) {
    if (e.find("'" + table + ".") != std::string::npos ||
        e.find("'" + table + "'") != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

void TomlLoadContext::addError(std::string message) {
  if (std::find(errors.begin(), errors.end(), message) != errors.end()) return;
  if (errors.size() >= kMaxErrors) {
    ++dropped_errors;
    return;
  }
  errors.push_back(std::move(message));
}

absl::Status TomlLoadContext::status(const absl::Status& last) const {
  std::vector<std::string> all = errors;
  if (!last.ok() && !isConsequence(std::string(last.message()), errors)) {
    all.emplace_back(last.message());
  }
  if (all.empty()) return absl::OkStatus();
  if (all.size() == 1 && dropped_errors == 0) return absl::InvalidArgumentError(all[0]);
  std::string message = absl::StrCat(all.size() + dropped_errors, " configuration errors:");
  for (const std::string& e : all) absl::StrAppend(&message, "\n  ", e);
  if (dropped_errors > 0) {
    absl::StrAppend(&message, "\n  ... and ", dropped_errors, " more (fix these first)");
  }
  return absl::InvalidArgumentError(message);
}

TomlSection::TomlSection(std::shared_ptr<cpptoml::table> table, std::string file, std::string path,
                         TomlLoadContext* context, bool disabled)
    : table_(std::move(table)),
      file_(std::move(file)),
      path_(std::move(path)),
      context_(context),
      disabled_(disabled || (table_ != nullptr && isDisabledTable(table_))) {}

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

absl::Status TomlSection::addError(std::string message) const {
  context_->addError(std::move(message));
  return absl::OkStatus();
}

absl::Status TomlSection::typeError(const std::string& key, absl::string_view expected) const {
  return addError(
      absl::StrCat(keyName(key), " must be ", expected, ", got ", typeName(table_->get(key))));
}

void TomlSection::unknownKey(const std::string& full, bool is_section,
                             std::vector<std::string> candidates) const {
  const size_t dot = full.rfind('.');
  const std::string key = dot == std::string::npos ? full : full.substr(dot + 1);
  std::string message =
      absl::StrCat(file_, ": unknown ", is_section ? "section" : "key", " '", full, "'");
  if (std::string hint = closestMatch(key, candidates); !hint.empty()) {
    absl::StrAppend(&message, " (did you mean '", hint, "'?)");
  }
  context_->addError(std::move(message));
}

// The action of the first WSO2 entry for `full` whose condition holds. A key
// the reader lists (`listed`) only gets the non-implemented actions.
void TomlSection::applyWso2(const std::string& full, const std::shared_ptr<cpptoml::base>& node,
                            bool disabled, bool listed) const {
  for (const Wso2Entry* e : findWso2Entries(full)) {
    if (!conditionHolds(*e, node)) continue;
    if (disabled || e->support == Wso2Support::Implemented) return;
    // A reader that lists an in-progress key implements it (issue 8 merged).
    if (listed && e->support == Wso2Support::InProgress) return;
    if (e->support == Wso2Support::Refused) {
      context_->addError(
          absl::StrCat(file_, ": ", wso2Condition(*e, full),
                       " is refused, because ignoring it would weaken security: ", e->note));
      return;
    }
    if (!context_->warned.insert(e).second) return;  // one warning per entry
    // A group of keys is named by its section and the first key found.
    const std::string what =
        e->keys.size() == 1
            ? absl::StrCat("'", full, "' is a WSO2 API Microgateway 3.2 setting")
            : absl::StrCat(*e->section == '\0' ? "root keys" : absl::StrCat("[", e->section, "]"),
                           " (here '", full, "') are WSO2 API Microgateway 3.2 settings");
    if (e->support == Wso2Support::InProgress) {
      context_->warnings->push_back(absl::StrCat(file_, ": ", what, " not in this build yet (",
                                                 e->note, ": issue 8, in progress); ignored"));
    } else {
      context_->warnings->push_back(
          absl::StrCat(file_, ": ", what, " microgw does not implement; ignored: ", e->note));
    }
    return;
  }
}

// A WSO2 key or table no reader reads: its keys are checked against the table.
void TomlSection::walkWso2(const std::string& full, const std::shared_ptr<cpptoml::base>& node,
                           bool disabled) const {
  if (node->is_table_array()) {
    size_t i = 0;
    for (const auto& t : *node->as_table_array()) {
      walkWso2(absl::StrCat(full, "[", i++, "]"), t, disabled || isDisabledTable(t));
    }
    return;
  }
  if (!node->is_table()) {
    if (findWso2Entries(full).empty()) {
      unknownKey(full, false, wso2NamesIn(full.substr(0, full.rfind('.'))));
      return;
    }
    applyWso2(full, node, disabled, false);
    return;
  }
  auto table = node->as_table();
  disabled = disabled || isDisabledTable(table);
  for (const std::string& key : sortedKeys(*table)) {
    const std::string child = absl::StrCat(full, ".", key);
    const auto& value = table->get(key);
    if (isTableLike(value) && !isWso2Section(child)) {
      unknownKey(child, true, wso2NamesIn(full));
    } else {
      walkWso2(child, value, disabled);
    }
  }
}

absl::Status TomlSection::checkKeys(const std::vector<std::string>& keys,
                                    const std::vector<std::string>& sections) const {
  if (table_ == nullptr) return absl::OkStatus();
  std::vector<std::string> candidates = keys;
  candidates.insert(candidates.end(), sections.begin(), sections.end());
  for (const std::string& key : sortedKeys(*table_)) {
    const std::string full = fullKey(key);
    const auto& node = table_->get(key);
    if (std::find(candidates.begin(), candidates.end(), key) != candidates.end()) {
      if (!isTableLike(node)) applyWso2(full, node, disabled_, true);
      continue;
    }
    if (isTableLike(node) ? isWso2Section(full) : !findWso2Entries(full).empty()) {
      walkWso2(full, node, disabled_);
      continue;
    }
    std::vector<std::string> hints = candidates;
    for (std::string& name : wso2NamesIn(path_)) hints.push_back(std::move(name));
    unknownKey(full, isTableLike(node), std::move(hints));
  }
  return absl::OkStatus();
}

absl::Status TomlSection::readPath(const std::string& key, std::string& out) const {
  std::optional<std::string> value;
  GW_CONF_RETURN_IF_ERROR(readOptionalString(key, value));
  if (!value) return absl::OkStatus();
  if (context_->env == nullptr) {
    out = *std::move(value);
    return absl::OkStatus();
  }
  absl::StatusOr<std::string> expanded = expandVariables(*value, *context_->env);
  if (!expanded.ok()) return addError(absl::StrCat(keyName(key), " ", expanded.status().message()));
  out = *std::move(expanded);
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
      return addError(absl::StrCat(keyName(key), " must be an array of strings, ", "element ", i,
                                   " is not a string"));
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
    return addError(
        absl::StrCat(keyName(key), " must be between ", min, " and ", max, ", got ", value->get()));
  }
  out = value->get();
  return absl::OkStatus();
}

absl::StatusOr<TomlSection> TomlSection::section(const std::string& key) const {
  auto table = has(key) ? table_->get(key)->as_table() : nullptr;
  // Not a table: the error is recorded and the reader goes on with an absent section.
  if (has(key) && !table) typeError(key, "a table ([" + fullKey(key) + "])").IgnoreError();
  return TomlSection(table, file_, fullKey(key), context_, disabled_);
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
    return addError(
        absl::StrCat(keyName(key), " must be between ", min, " and ", max, ", got ", value));
  }
  out = value;
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TomlSection>> TomlSection::sectionArray(const std::string& key) const {
  std::vector<TomlSection> out;
  if (!has(key)) return out;
  if (auto table = table_->get(key)->as_table()) {
    out.emplace_back(table, file_, fullKey(key), context_, disabled_);
    return out;
  }
  auto array = table_->get_table_array(key);
  if (!array) {
    typeError(key, "an array of tables ([[" + fullKey(key) + "]])").IgnoreError();
    return out;
  }
  size_t i = 0;
  for (const auto& table : *array) {
    out.emplace_back(table, file_, absl::StrCat(fullKey(key), "[", i++, "]"), context_, disabled_);
  }
  return out;
}

}  // namespace gw::conf
