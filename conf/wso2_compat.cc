#include "conf/wso2_compat.h"

#include <algorithm>
#include <cctype>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "conf/wso2_compat_rows.h"

namespace gw::conf {
namespace {

using S = Wso2Support;
using W = Wso2When;
constexpr Wso2Scope kConf = Wso2Scope::Conf;
constexpr Wso2Scope kApi = Wso2Scope::Api;

bool iequals(const std::string& a, const std::string& b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// "jwtTokenConfig[0].claims[1].localClaim" -> components without indices.
std::vector<std::string> components(const std::string& key) {
  std::vector<std::string> out;
  for (absl::string_view part : absl::StrSplit(key, '.', absl::SkipEmpty())) {
    if (size_t bracket = part.find('['); bracket != absl::string_view::npos) {
      part = part.substr(0, bracket);
    }
    out.emplace_back(part);
  }
  return out;
}

// Whether `pattern` (components, "*" = any one) equals `key`. WSO2 writes
// both [keyManager] and [keymanager.security]: the two spellings are one.
bool matches(const std::vector<std::string>& pattern, const std::vector<std::string>& key,
             size_t length) {
  if (pattern.size() < length || key.size() < length) return false;
  for (size_t i = 0; i < length; ++i) {
    if (pattern[i] == "*") continue;
    const bool same = pattern[i] == key[i] || (i == 0 && iequals(pattern[i], "keymanager") &&
                                               iequals(key[i], "keymanager"));
    if (!same) return false;
  }
  return true;
}

struct Flattened {
  std::vector<std::string> path;
  const Wso2Entry* entry;
};

const std::vector<Flattened>& flattened() {
  static const auto* out = [] {
    auto* list = new std::vector<Flattened>;
    for (const Wso2Entry& e : wso2Table()) {
      if (e.scope != kConf) continue;
      for (const char* key : e.keys) {
        std::string full =
            *e.section == '\0' ? std::string(key) : absl::StrCat(e.section, ".", key);
        list->push_back({components(full), &e});
      }
    }
    return list;
  }();
  return *out;
}

const char* whenText(const Wso2Entry& e) {
  switch (e.when) {
    case W::Present:
      return "";
    case W::True:
      return " = true";
    case W::Equals:
      return " = ";
    case W::NotEquals:
      return " other than ";
  }
  return "";
}

}  // namespace

const std::vector<Wso2Entry>& wso2Table() {
  static const auto* table = new std::vector<Wso2Entry>(buildWso2Table());
  return *table;
}

std::vector<const Wso2Entry*> findWso2Entries(const std::string& key) {
  const std::vector<std::string> parts = components(key);
  std::vector<const Wso2Entry*> out;
  for (const Flattened& f : flattened()) {
    if (f.path.size() == parts.size() && matches(f.path, parts, parts.size()) &&
        std::find(out.begin(), out.end(), f.entry) == out.end()) {
      out.push_back(f.entry);
    }
  }
  return out;
}

std::vector<std::string> wso2NamesIn(const std::string& section) {
  const std::vector<std::string> parts = components(section);
  std::set<std::string> names;
  for (const Flattened& f : flattened()) {
    if (f.path.size() > parts.size() && matches(f.path, parts, parts.size()) &&
        f.path[parts.size()] != "*") {
      names.insert(f.path[parts.size()]);
    }
  }
  return {names.begin(), names.end()};
}

bool isWso2Section(const std::string& section) {
  const std::vector<std::string> parts = components(section);
  for (const Flattened& f : flattened()) {
    if (f.path.size() > parts.size() && matches(f.path, parts, parts.size())) return true;
  }
  return false;
}

bool isWso2SwitchKey(const std::string& key) {
  return key == "enable" || key == "enabled" || key == "jwtGeneratorEnabled" ||
         key == "enableRealtimeMessageRetrieval";
}

const char* wso2SupportLabel(Wso2Support support) {
  switch (support) {
    case S::Implemented:
      return "implemented";
    case S::InProgress:
      return "implemented by issue 8 (in progress)";
    case S::Ignored:
      return "accepted and ignored (warning)";
    case S::Refused:
      return "not supported (refused)";
  }
  return "";
}

std::string wso2Condition(const Wso2Entry& entry, const std::string& full_key) {
  std::string out = absl::StrCat("'", full_key, "'", whenText(entry));
  if (entry.when == W::Equals || entry.when == W::NotEquals) {
    absl::StrAppend(&out, "\"", entry.value, "\"");
  }
  return out;
}

std::string wso2ReadmeTable() {
  std::string out = "| section | keys | status | notes |\n|---|---|---|---|\n";
  for (const Wso2Entry& e : wso2Table()) {
    std::string section = e.scope == kApi      ? absl::StrCat("API definitions: ", e.section)
                          : *e.section == '\0' ? std::string("(root keys)")
                                               : absl::StrCat("[", e.section, "]");
    std::vector<std::string> keys;
    for (const char* k : e.keys) keys.push_back(absl::StrCat("`", k, "`"));
    std::string when(whenText(e));
    if (e.when == W::Equals || e.when == W::NotEquals) {
      absl::StrAppend(&when, "\"", e.value, "\"");
    }
    if (!when.empty()) when = absl::StrCat(" (when", when, ")");
    absl::StrAppend(&out, "| ", section, " | ", absl::StrJoin(keys, ", "), " | ",
                    wso2SupportLabel(e.support), when, " | ",
                    absl::StrReplaceAll(e.note, {{"|", "\\|"}}), " |\n");
  }
  return out;
}

}  // namespace gw::conf
