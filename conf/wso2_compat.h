#pragma once

// The one table of WSO2 API Microgateway 3.2 configuration keys and API
// definition extensions (/work/shared/wso2-3.2-keys.md) and what this gateway
// does with each: implemented, accepted and ignored with a warning, or refused
// because ignoring it would weaken security. The micro-gw.conf loader
// (conf/toml_section.cc) looks keys up here; the README's "Coming from WSO2 API
// Microgateway 3.2" table is generated from it (wso2ReadmeTable(), checked by
// test/conf/wso2_compat_test.cc). Pure data and lookups; thread-safe.
//
// Example:
//   const Wso2Entry* e = findWso2Entry("analytics.fileUpload.enable");
//   // e->support == Wso2Support::InProgress

#include <string>
#include <string_view>
#include <vector>

namespace gw::conf {

enum class Wso2Support {
  Implemented,  // read and used
  // Implemented by the work on issue 8, not yet merged into this build: until
  // the coordinator flips the entry to Implemented, accepted with a warning.
  InProgress,
  Ignored,  // accepted; one start-up warning per entry says what is not done
  Refused,  // an error: ignoring the setting would weaken security
};

// When an entry's action applies to a key that is present.
enum class Wso2When {
  Present,    // always
  True,       // the value is the boolean true
  Equals,     // the value (a string) equals `value`
  NotEquals,  // the value differs from `value` (a non-default choice)
};

enum class Wso2Scope { Conf, Api };

struct Wso2Entry {
  Wso2Scope scope;
  // Conf: the dotted TOML table ("" for root keys; arrays of tables without
  // "[]"; "*" matches any one name, as in b7a.users.*). Api: where the
  // extension is read ("API", "resource", "endpoint", "x-wso2-cors").
  const char* section;
  // Keys relative to `section`; a key may be dotted into sub-tables.
  std::vector<const char*> keys;
  Wso2Support support;
  // Implemented: how it behaves here. Otherwise: what is not done and what to
  // use instead (it ends the warning or error message).
  const char* note;
  Wso2When when = Wso2When::Present;
  const char* value = "";
};

// Every entry, in the order of wso2-3.2-keys.md. An entry earlier in the table
// wins for a key listed twice (a conditional refusal before its section's
// warning).
const std::vector<Wso2Entry>& wso2Table();

// The micro-gw.conf entries that list `key` (a full dotted key; array indices
// "[3]" are ignored; [keyManager] and [keymanager] are the same table, as
// WSO2 writes both). Empty when the key
// is not a WSO2 3.2 key.
std::vector<const Wso2Entry*> findWso2Entries(const std::string& key);

// The names WSO2 3.2 defines directly inside the table `section` (keys and
// sub-tables), for "did you mean" hints.
std::vector<std::string> wso2NamesIn(const std::string& section);

// True when `section` is a WSO2 3.2 table (or a prefix of one).
bool isWso2Section(const std::string& section);

// Keys that switch a WSO2 section on or off: a section whose switch is false
// is accepted silently (enable, enabled, jwtGeneratorEnabled,
// enableRealtimeMessageRetrieval).
bool isWso2SwitchKey(const std::string& key);

// "implemented", "implemented by issue 8 (in progress)", "accepted and
// ignored (warning)", "not supported (refused)".
const char* wso2SupportLabel(Wso2Support support);

// The README table (Markdown), one row per entry.
std::string wso2ReadmeTable();

// "'<key>'" plus the condition, for messages: "'a.b' = true".
std::string wso2Condition(const Wso2Entry& entry, const std::string& full_key);

}  // namespace gw::conf
