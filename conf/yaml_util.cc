#include "conf/yaml_util.h"

#include <algorithm>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "conf/suggest.h"
#include "conf/syntax_error.h"

namespace gw::conf {

std::string joinLocation(absl::string_view location, absl::string_view key) {
  if (location.empty()) return std::string(key);
  return absl::StrCat(location, ".", key);
}

absl::Status yamlError(const YamlContext& ctx, absl::string_view location, absl::string_view what) {
  // No file (a filter's config): the chain builder adds file and entry.
  const std::string file = ctx.file.empty() ? "" : absl::StrCat(ctx.file, ": ");
  if (location.empty()) return absl::InvalidArgumentError(absl::StrCat(file, what));
  return absl::InvalidArgumentError(absl::StrCat(file, location, ": ", what));
}

std::string quoteValue(absl::string_view value) {
  constexpr size_t kMaxShown = 64;
  if (value.size() <= kMaxShown && value.find_first_of(" \t\r\n") == absl::string_view::npos) {
    return absl::StrCat("'", value, "'");
  }
  return absl::StrCat("a value of ", value.size(),
                      " characters with blanks or line breaks (an unclosed quote?)");
}

std::string yamlTypeName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a scalar";
    case YAML::NodeType::Null:
      return "null";
    default:
      return "nothing";
  }
}

absl::StatusOr<std::string> yamlString(const YamlContext& ctx, const YAML::Node& node,
                                       absl::string_view location) {
  if (!node.IsScalar()) {
    return yamlError(ctx, location, absl::StrCat("expected a string, got ", yamlTypeName(node)));
  }
  return node.Scalar();
}

absl::StatusOr<bool> yamlBool(const YamlContext& ctx, const YAML::Node& node,
                              absl::string_view location) {
  bool value = false;
  if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
    return yamlError(ctx, location, "expected a boolean (true or false)");
  }
  return value;
}

absl::StatusOr<int64_t> yamlInt(const YamlContext& ctx, const YAML::Node& node,
                                absl::string_view location, int64_t min, int64_t max) {
  int64_t value = 0;
  if (!node.IsScalar() || !YAML::convert<int64_t>::decode(node, value)) {
    return yamlError(ctx, location, "expected an integer");
  }
  if (value < min || value > max) {
    return yamlError(ctx, location,
                     absl::StrCat("must be between ", min, " and ", max, ", got ", value));
  }
  return value;
}

absl::StatusOr<std::vector<std::string>> yamlStringList(const YamlContext& ctx,
                                                        const YAML::Node& node,
                                                        absl::string_view location) {
  if (!node.IsSequence()) {
    return yamlError(ctx, location,
                     absl::StrCat("expected a list of strings, got ", yamlTypeName(node)));
  }
  std::vector<std::string> values;
  for (size_t i = 0; i < node.size(); ++i) {
    absl::StatusOr<std::string> value =
        yamlString(ctx, node[i], absl::StrCat(location, "[", i, "]"));
    if (!value.ok()) return value.status();
    values.push_back(*std::move(value));
  }
  return values;
}

absl::Status requireMap(const YamlContext& ctx, const YAML::Node& node,
                        absl::string_view location) {
  if (node.IsMap()) return absl::OkStatus();
  return yamlError(ctx, location, absl::StrCat("expected a map, got ", yamlTypeName(node)));
}

bool isPlainKey(absl::string_view key) {
  constexpr size_t kMaxShown = 64;
  if (key.size() > kMaxShown) return false;
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x21 || u == 0x7f || c == ':' || c == '=' || c == '"' || c == '\'') return false;
  }
  return true;
}

namespace {

// An unknown key that is not plain: most likely `key:value` or `key value`.
absl::Status unshownKeyError(const YamlContext& ctx, absl::string_view location,
                             absl::string_view key, const std::vector<std::string>& known) {
  const absl::string_view head = key.substr(0, key.find_first_of(" \t:="));
  if (std::find(known.begin(), known.end(), head) != known.end()) {
    return yamlError(ctx, joinLocation(location, head),
                     "expected ': ' (a colon and a blank) between the key and its value");
  }
  return yamlError(ctx, location,
                   "unknown key with blanks, ':' or '=' in it (not shown: it may hold a "
                   "value); write 'key: value'");
}

}  // namespace

absl::Status checkYamlKeys(const YamlContext& ctx, const YAML::Node& node,
                           absl::string_view location, const std::vector<std::string>& known) {
  for (const auto& entry : node) {
    if (!entry.first.IsScalar()) return yamlError(ctx, location, "expected string keys");
    const std::string& key = entry.first.Scalar();
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    if (!isPlainKey(key)) return unshownKeyError(ctx, location, key, known);
    std::string message = absl::StrCat("unknown key '", joinLocation(location, key), "'");
    if (std::string hint = closestMatch(key, known); !hint.empty()) {
      absl::StrAppend(&message, " (did you mean '", hint, "'?)");
    }
    return yamlError(ctx, "", message);
  }
  return absl::OkStatus();
}

absl::StatusOr<YAML::Node> parseYaml(const std::string& text, const std::string& file) {
  try {
    return YAML::Load(text);
  } catch (const YAML::ParserException& e) {
    return absl::InvalidArgumentError(
        yamlSyntaxError(text, file, e.mark.line, e.mark.column, e.msg));
  } catch (const std::exception&) {  // its text may quote the input
    return absl::InvalidArgumentError(absl::StrCat(file, ": cannot parse as YAML"));
  }
}

absl::StatusOr<std::string> readTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open file"));
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return absl::InvalidArgumentError(absl::StrCat(path, ": read error"));
  return content.str();
}

}  // namespace gw::conf
