#include "conf/api_document.h"

#include <algorithm>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "conf/yaml_util.h"
#include "nlohmann/json.hpp"

namespace gw::conf {
namespace {

constexpr int kMaxDepth = 128;

// Throws std::length_error beyond kMaxDepth (caught by the caller):
// deep nesting must not exhaust the stack.
YAML::Node toYaml(const nlohmann::ordered_json& value, int depth) {
  if (depth > kMaxDepth) throw std::length_error("nested too deeply");
  switch (value.type()) {
    case nlohmann::ordered_json::value_t::object: {
      YAML::Node map(YAML::NodeType::Map);
      for (const auto& [key, item] : value.items()) map[key] = toYaml(item, depth + 1);
      return map;
    }
    case nlohmann::ordered_json::value_t::array: {
      YAML::Node list(YAML::NodeType::Sequence);
      for (const auto& item : value) list.push_back(toYaml(item, depth + 1));
      return list;
    }
    case nlohmann::ordered_json::value_t::string: {
      YAML::Node scalar(value.get<std::string>());
      scalar.SetTag("!");
      return scalar;
    }
    case nlohmann::ordered_json::value_t::null:
      return YAML::Node(YAML::NodeType::Null);
    default: {  // numbers and booleans: plain scalars, as YAML reads them
      YAML::Node scalar(value.dump());
      scalar.SetTag("?");
      return scalar;
    }
  }
}

// 1-based line and column of byte offset `byte` (nlohmann counts from 1 past it).
std::pair<size_t, size_t> lineAndColumn(const std::string& text, size_t byte) {
  const size_t end = std::min(byte == 0 ? 0 : byte - 1, text.size());
  size_t line = 1, column = 1;
  for (size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
  return {line, column};
}

absl::StatusOr<YAML::Node> parseJson(const std::string& text, const std::string& file) {
  nlohmann::ordered_json value;  // keeps the document order (operations, warnings)
  try {
    value = nlohmann::ordered_json::parse(text);
  } catch (const nlohmann::ordered_json::parse_error& e) {
    // e.what() quotes the text around the error: it may hold a password.
    const auto [line, column] = lineAndColumn(text, e.byte);
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": invalid JSON at line ", line, ", column ", column,
                     " (check for a missing comma, quote or bracket, or a trailing comma)"));
  }
  try {
    return toYaml(value, 0);
  } catch (const std::exception&) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": JSON nested more than ", kMaxDepth, " levels deep"));
  }
}

}  // namespace

bool isApiFileName(absl::string_view name) {
  return absl::EndsWith(name, ".yaml") || absl::EndsWith(name, ".yml") ||
         absl::EndsWith(name, ".json");
}

absl::StatusOr<YAML::Node> parseApiDocument(const std::string& text, const std::string& file) {
  if (absl::EndsWith(file, ".json")) return parseJson(text, file);
  return parseYaml(text, file);
}

}  // namespace gw::conf
