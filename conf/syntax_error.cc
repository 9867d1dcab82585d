#include "conf/syntax_error.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "conf/known_keys.h"

namespace gw::conf {
namespace {

bool isBareKeyChar(char c) { return absl::ascii_isalnum(c) || c == '_' || c == '-'; }

size_t skipBlanks(absl::string_view line, size_t pos) {
  while (pos < line.size() && (line[pos] == ' ' || line[pos] == '\t')) ++pos;
  return pos;
}

size_t tokenEnd(absl::string_view line, size_t pos) {
  while (pos < line.size() && isBareKeyChar(line[pos])) ++pos;
  return pos;
}

// True when every part of the dotted `name` is a known name.
bool isKnownDotted(absl::string_view name) {
  if (name.empty()) return false;
  for (absl::string_view part : absl::StrSplit(name, '.')) {
    if (!isKnownKeyName(part)) return false;
  }
  return true;
}

std::vector<absl::string_view> splitLines(absl::string_view text) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  for (absl::string_view& line : lines) absl::ConsumeSuffix(&line, "\r");
  return lines;
}

std::string location(absl::string_view file, absl::string_view format, int line, int column,
                     absl::string_view key) {
  std::string out = absl::StrCat(file, ": invalid ", format);
  if (line > 0) absl::StrAppend(&out, " at line ", line);
  if (line > 0 && column > 0) absl::StrAppend(&out, ", column ", column);
  if (!key.empty()) absl::StrAppend(&out, " (key '", key, "')");
  return out;
}

// ---- TOML ----

// What precedes the error line: the table it is in, and whether an unclosed
// multi-line string ("""/''') is open (then the error is about that string).
struct TomlScan {
  std::string table;      // "" when at the root or not a known name
  int string_start = -1;  // 0-based line of the unclosed multi-line string's key
  std::string string_table;
  absl::string_view delimiter;
  int array_start = -1;  // 0-based line of an array still open (arrays may span lines)
  int array_depth = 0;
  std::string array_table;
};

// '[' minus ']' from `pos` to the end of the line, outside strings and comments.
int bracketBalance(absl::string_view line, size_t pos) {
  int depth = 0;
  char quote = 0;
  for (size_t i = pos; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      break;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      --depth;
    }
  }
  return depth;
}

// The dotted name of a table header line ("[a.b]" or "[[a.b]]"), or "".
std::string headerName(absl::string_view line) {
  absl::string_view s = absl::StripAsciiWhitespace(line);
  if (!absl::ConsumePrefix(&s, "[")) return "";
  absl::ConsumePrefix(&s, "[");
  const size_t close = s.find(']');
  if (close == absl::string_view::npos) return "";
  std::string name(absl::StripAsciiWhitespace(s.substr(0, close)));
  return isKnownDotted(name) ? name : "";
}

void scanTomlLine(absl::string_view line, int index, TomlScan& scan) {
  size_t pos = 0;
  if (scan.array_start >= 0 && scan.string_start < 0) {
    scan.array_depth += bracketBalance(line, 0);
    if (scan.array_depth <= 0) scan.array_start = -1;
    return;
  }
  if (scan.string_start >= 0) {
    pos = line.find(scan.delimiter);
    if (pos == absl::string_view::npos) return;
    scan.string_start = -1;
    pos += 3;
  } else {
    const size_t first = skipBlanks(line, 0);
    if (first < line.size() && line[first] == '#') return;
    if (first < line.size() && line[first] == '[') {
      scan.table = headerName(line);
      return;
    }
    const size_t equals = line.find('=');
    const size_t value = equals == absl::string_view::npos ? equals : skipBlanks(line, equals + 1);
    if (value < line.size() && line[value] == '[') {
      const int depth = bracketBalance(line, value);
      if (depth > 0) {
        scan.array_start = index;
        scan.array_depth = depth;
        scan.array_table = scan.table;
        return;
      }
    }
  }
  while (pos < line.size()) {
    const size_t basic = line.find("\"\"\"", pos);
    const size_t literal = line.find("'''", pos);
    const size_t open = std::min(basic, literal);
    if (open == absl::string_view::npos) return;
    const absl::string_view delimiter = open == basic ? "\"\"\"" : "'''";
    const size_t close = line.find(delimiter, open + 3);
    if (close == absl::string_view::npos) {
      scan.string_start = index;
      scan.string_table = scan.table;
      scan.delimiter = delimiter;
      return;
    }
    pos = close + 3;
  }
}

// Where on a statement line "key = value" things are (0-based; npos = absent).
struct TomlLine {
  size_t key_begin = 0;
  size_t key_end = 0;  // == key_begin when the line does not start with a bare key
  size_t equals = absl::string_view::npos;
  size_t value = absl::string_view::npos;
  size_t after_key = 0;  // first non-blank after the key
};

TomlLine analyseTomlLine(absl::string_view line) {
  TomlLine out;
  out.key_begin = skipBlanks(line, 0);
  out.key_end = tokenEnd(line, out.key_begin);
  out.after_key = skipBlanks(line, out.key_end);
  if (out.key_end > out.key_begin && out.after_key < line.size() && line[out.after_key] == '=') {
    out.equals = out.after_key;
    out.value = skipBlanks(line, out.equals + 1);
  }
  return out;
}

// The first non-blank after a quoted value that starts at `value`, or npos.
size_t afterQuotedValue(absl::string_view line, size_t value) {
  if (value >= line.size() || (line[value] != '"' && line[value] != '\'')) {
    return absl::string_view::npos;
  }
  for (size_t i = value + 1; i < line.size(); ++i) {
    if (line[value] == '"' && line[i] == '\\') {
      ++i;
    } else if (line[i] == line[value]) {
      return skipBlanks(line, i + 1);
    }
  }
  return absl::string_view::npos;
}

struct Description {
  absl::string_view prefix;  // a cpptoml message starts with (or, if `contains`, has) this
  bool contains;
  absl::string_view text;
};

// cpptoml's messages, mapped to fixed text (cpptoml's own quote the input).
absl::string_view describeToml(absl::string_view message, const TomlLine& at, size_t line_size) {
  const bool missing_value = at.value != absl::string_view::npos && at.value >= line_size;
  if (absl::StrContains(message, "missing name")) return "missing key name";
  if (at.key_end > at.key_begin && at.equals == absl::string_view::npos &&
      (absl::StartsWith(message, "Bare key") || absl::StartsWith(message, "Value must follow"))) {
    return at.after_key >= line_size ? "a key needs '= value'"
                                     : "expected '=' between the key and its value";
  }
  if (absl::StartsWith(message, "Value must follow") ||
      (absl::StartsWith(message, "Failed to parse value") && missing_value)) {
    return "missing value after '='";
  }
  static constexpr Description kDescriptions[] = {
      {"Failed to parse value", false,
       "not a valid value (strings need quotes; numbers, true and false do not)"},
      {"Unterminated string literal", false, "unclosed quote"},
      {"Unterminated multi-line", false, "unclosed multi-line string (\"\"\" or ''')"},
      {"Unidentified trailing character", false,
       "unexpected text after the value (a comment starts with '#')"},
      {"Unterminated inline table", false,
       "unclosed inline table (an inline table must end on its line)"},
      {"Unclosed array", false, "unclosed array"},
      {"Unterminated array", false, "unclosed array"},
      {"array", true, "invalid array element"},
      {"Arrays must be homogeneous", false, "an array mixes value types"},
      {"already present", true, "key given twice"},
      {"Redefinition of table", false, "table defined twice"},
      {"is not a table", true, "key used both as a value and as a table"},
      {"scape", true, "invalid escape sequence in a string (use '...' for backslashes)"},
      {"unicode", true, "invalid escape sequence in a string (use '...' for backslashes)"},
      {"umber", true, "malformed number"},
      {"Floats", false, "malformed number"},
      {"Malformed date", false, "malformed date or time"},
      {"Malformed time", false, "malformed date or time"},
      {"boolean", true, "invalid boolean (true or false)"},
      {"able", true, "invalid table header"},
      {"key", true, "missing key name"},
  };
  for (const Description& d : kDescriptions) {
    if (d.contains ? absl::StrContains(message, d.prefix) : absl::StartsWith(message, d.prefix)) {
      return d.text;
    }
  }
  return "syntax error";
}

// cpptoml ends its messages with " at line N" (1-based); 0 when it does not.
int tomlErrorLine(absl::string_view message) {
  const size_t at = message.rfind(" at line ");
  int line = 0;
  if (at == absl::string_view::npos || !absl::SimpleAtoi(message.substr(at + 9), &line)) return 0;
  return line;
}

// ---- YAML ----

// yaml-cpp messages that carry no input; the others end in ": <input>".
bool isFixedYamlMessage(absl::string_view message) {
  static const auto* fixed =
      new std::set<std::string, std::less<>>{"YAML directives must have exactly one argument",
                                             "YAML major version too large",
                                             "repeated YAML directive",
                                             "TAG directives must have exactly two arguments",
                                             "repeated TAG directive",
                                             "illegal character found while scanning tag handle",
                                             "tag handle with no suffix",
                                             "end of verbatim tag not found",
                                             "end of map not found",
                                             "end of map flow not found",
                                             "end of sequence not found",
                                             "end of sequence flow not found",
                                             "cannot assign multiple tags to the same node",
                                             "cannot assign multiple anchors to the same node",
                                             "cannot assign multiple aliases to the same node",
                                             "aliases can't have any content, *including* tags",
                                             "bad character found while scanning hex number",
                                             "unknown token",
                                             "illegal document indicator in scalar",
                                             "illegal EOF in scalar",
                                             "illegal character in scalar",
                                             "illegal tab when looking for indentation",
                                             "illegal flow end",
                                             "illegal block entry",
                                             "illegal map key",
                                             "illegal map value",
                                             "alias not found after *",
                                             "anchor not found after &",
                                             "illegal character found while scanning alias",
                                             "illegal character found while scanning anchor",
                                             "cannot set zero indentation for a block scalar",
                                             "unexpected character in block scalar",
                                             "cannot assign the same alias to multiple nodes",
                                             "the referenced anchor is not defined",
                                             "unmatched group tag",
                                             "unexpected end sequence token",
                                             "unexpected end map token",
                                             "invalid character in single-quoted string",
                                             "invalid anchor",
                                             "invalid alias",
                                             "invalid tag"};
  return fixed->count(message) > 0;
}

std::string describeYaml(absl::string_view message) {
  if (isFixedYamlMessage(message)) return std::string(message);
  for (absl::string_view prefix :
       {"unknown escape character", "invalid unicode", "bad YAML version"}) {
    if (absl::StartsWith(message, prefix)) return std::string(prefix);
  }
  return "syntax error";
}

// The key a block-style YAML line starts with ("  - key: ..."), or "".
absl::string_view yamlLineKey(absl::string_view line, size_t* indent) {
  size_t pos = skipBlanks(line, 0);
  if (absl::StartsWith(line.substr(pos), "- ")) pos = skipBlanks(line, pos + 2);
  *indent = pos;
  const size_t end = tokenEnd(line, pos);
  const size_t colon = skipBlanks(line, end);
  if (end == pos || colon >= line.size() || line[colon] != ':') return "";
  return line.substr(pos, end - pos);
}

// "a.b.key" for a known key at `index` and its known enclosing keys.
std::string yamlKeyPath(const std::vector<absl::string_view>& lines, int index) {
  size_t indent = 0;
  absl::string_view key = yamlLineKey(lines[index], &indent);
  if (key.empty()) {  // "key value" with the colon missing
    indent = skipBlanks(lines[index], 0);
    key = lines[index].substr(indent, tokenEnd(lines[index], indent) - indent);
  }
  if (!isKnownKeyName(key)) return "";
  std::string path(key);
  for (int i = index - 1; i >= 0 && indent > 0; --i) {
    size_t parent_indent = 0;
    absl::string_view parent = yamlLineKey(lines[i], &parent_indent);
    if (parent.empty() || parent_indent >= indent) continue;
    if (!isKnownKeyName(parent)) break;
    path = absl::StrCat(parent, ".", path);
    indent = parent_indent;
  }
  return path;
}

// Where `line` lacks the ": " after its key, or npos: "key:value" (YAML reads
// the line as one scalar and fails on a later line), or, when `map_error`,
// "key value" with no colon at all.
size_t missingColon(absl::string_view line, bool map_error) {
  const size_t begin = skipBlanks(line, 0);
  const size_t end = tokenEnd(line, begin);
  if (end == begin || end >= line.size()) return absl::string_view::npos;
  if (line[end] == ':') {
    const bool glued = end + 1 < line.size() && line[end + 1] != ' ' && line[end + 1] != '\t';
    return glued ? end : absl::string_view::npos;
  }
  const size_t next = skipBlanks(line, end);
  if (!map_error || next == end || next >= line.size() ||
      line.find(':') != absl::string_view::npos) {
    return absl::string_view::npos;
  }
  return end;
}

}  // namespace

std::string tomlSyntaxError(absl::string_view text, absl::string_view file,
                            absl::string_view parser_message) {
  const std::vector<absl::string_view> lines = splitLines(text);
  const int line = std::min(tomlErrorLine(parser_message), static_cast<int>(lines.size()));
  if (line <= 0) {
    return absl::StrCat(location(file, "TOML", 0, 0, ""), ": ",
                        describeToml(parser_message, TomlLine{}, 0));
  }
  TomlScan scan;
  for (int i = 0; i < line - 1; ++i) scanTomlLine(lines[i], i, scan);
  int site = line - 1;
  std::string table = scan.table;
  absl::string_view description;
  if (scan.string_start >= 0) {  // the error is the unclosed string, not where cpptoml ran out
    site = scan.string_start;
    table = scan.string_table;
    description = "unclosed multi-line string (\"\"\" or ''')";
  } else if (scan.array_start >= 0) {  // an error inside an array that spans lines
    site = scan.array_start;
    table = scan.array_table;
    description = "invalid or unclosed array (an array ends with ']')";
  }
  const absl::string_view text_line = lines[site];
  const TomlLine at = analyseTomlLine(text_line);
  if (description.empty()) description = describeToml(parser_message, at, text_line.size());
  size_t column = at.key_begin;
  if (at.value != absl::string_view::npos) {
    column = at.value;
    const size_t after = afterQuotedValue(text_line, at.value);
    if (absl::StartsWith(parser_message, "Unidentified trailing") &&
        after != absl::string_view::npos) {
      column = after;
    }
  } else if (at.key_end > at.key_begin) {
    column = at.after_key;
  }
  const absl::string_view key = text_line.substr(at.key_begin, at.key_end - at.key_begin);
  std::string key_name;
  if (isKnownKeyName(key))
    key_name = table.empty() ? std::string(key) : absl::StrCat(table, ".", key);
  return absl::StrCat(location(file, "TOML", site + 1, static_cast<int>(column) + 1, key_name),
                      ": ", description);
}

std::string yamlSyntaxError(absl::string_view text, absl::string_view file, int line, int column,
                            absl::string_view parser_message) {
  const std::vector<absl::string_view> lines = splitLines(text);
  if (line < 0 || line >= static_cast<int>(lines.size())) {
    return absl::StrCat(location(file, "YAML", line + 1, column + 1, ""), ": ",
                        describeYaml(parser_message));
  }
  int previous = line - 1;
  while (previous >= 0 && absl::StripAsciiWhitespace(lines[previous]).empty()) --previous;
  const bool map_error =
      parser_message == "illegal map value" || parser_message == "end of map not found";
  for (int i : {line, previous}) {
    if (i < 0) continue;
    const size_t at = missingColon(lines[i], map_error);
    if (at == absl::string_view::npos) continue;
    return absl::StrCat(
        location(file, "YAML", i + 1, static_cast<int>(at) + 1, yamlKeyPath(lines, i)),
        ": expected ': ' (a colon and a blank) between the key and its value");
  }
  return absl::StrCat(location(file, "YAML", line + 1, column + 1, yamlKeyPath(lines, line)), ": ",
                      describeYaml(parser_message));
}

}  // namespace gw::conf
