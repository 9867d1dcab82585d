#pragma once

// Typed, validated reads from one TOML table of micro-gw.conf. Internal to
// //conf:loader. Every error names the file and the full dotted key; no error
// contains a string value (it may be a password).

#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cpptoml.h"

namespace gw::conf {

struct Environment;
struct Wso2Entry;

// What one load of micro-gw.conf collects: warnings (WSO2 settings accepted
// and ignored, one per table entry), errors (all of them, so that one does not
// hide the next; at most kMaxErrors kept) and the environment for ${...} paths.
struct TomlLoadContext {
  static constexpr size_t kMaxErrors = 20;

  std::vector<std::string>* warnings = nullptr;  // must outlive the context
  const Environment* env = nullptr;              // for readPath(); null = no expansion
  std::vector<std::string> errors;
  size_t dropped_errors = 0;  // errors beyond kMaxErrors
  std::set<const Wso2Entry*> warned;

  void addError(std::string message);
  // The collected errors as one status (OK when there are none); `last` (an
  // error that stopped the load) is added at the end.
  absl::Status status(const absl::Status& last = absl::OkStatus()) const;
};

// A view of one TOML table (or of an absent one: then every read keeps the
// caller's default). Not thread-safe; lives only while a file is loaded.
class TomlSection {
 public:
  // `path` is the dotted name of the table ("" for the root); `context`
  // collects warnings and errors and must outlive this.
  TomlSection(std::shared_ptr<cpptoml::table> table, std::string file, std::string path,
              TomlLoadContext* context, bool disabled = false);

  bool present() const { return table_ != nullptr; }
  bool has(const std::string& key) const;
  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }

  // "<file>: '<path>.<key>'", or "<file>: '<path>'" for an empty key.
  std::string keyName(absl::string_view key) const;

  // Checks every key of the table against the reader's lists and the WSO2
  // table (conf/wso2_compat.h): a WSO2 3.2 key or section the reader does not
  // list is walked and accepted (a warning per table entry, silently inside a
  // disabled section) or refused; a listed key whose WSO2 entry is a
  // conditional refusal or warning is checked too; any other key is an
  // "unknown" error with a "did you mean" hint. Errors go to the context (the
  // status is OK) so that loading goes on and reports them all.
  absl::Status checkKeys(const std::vector<std::string>& keys,
                         const std::vector<std::string>& sections) const;

  absl::Status readString(const std::string& key, std::string& out) const;
  absl::Status readOptionalString(const std::string& key, std::optional<std::string>& out) const;
  absl::Status readBool(const std::string& key, bool& out) const;
  absl::Status readOptionalBool(const std::string& key, std::optional<bool>& out) const;
  // Records an error found by the reader (the status is OK: the load goes on).
  absl::Status addError(std::string message) const;

  // A string with ${mgw-runtime.home} and ${ENV_VAR} expanded.
  absl::Status readPath(const std::string& key, std::string& out) const;
  absl::Status readStringArray(const std::string& key, std::vector<std::string>& out) const;
  absl::Status readInteger(const std::string& key, int64_t min, int64_t max, int64_t& out) const;

  // Type and range errors of the read* methods go to the context too (the
  // caller's value is kept, the status is OK).

  // Reads an integer in [min, max] into an integer field of any type.
  template <typename T>
  absl::Status readInt(const std::string& key, int64_t min, int64_t max, T& out) const {
    int64_t value = static_cast<int64_t>(out);
    absl::Status status = readInteger(key, min, max, value);
    if (status.ok()) out = static_cast<T>(value);
    return status;
  }

  // A float (an integer is accepted too) in [min, max].
  absl::Status readDouble(const std::string& key, double min, double max, double& out) const;

  // The sub-table `key` (absent -> a section with present() == false).
  absl::StatusOr<TomlSection> section(const std::string& key) const;
  // The array of tables `[[key]]` (absent -> empty); element i is named "key[i]".
  // A single table `[key]` is accepted as an array of one.
  absl::StatusOr<std::vector<TomlSection>> sectionArray(const std::string& key) const;

 private:
  std::string fullKey(absl::string_view key) const;
  absl::Status typeError(const std::string& key, absl::string_view expected) const;
  void unknownKey(const std::string& full, bool is_section,
                  std::vector<std::string> candidates) const;
  void applyWso2(const std::string& full, const std::shared_ptr<cpptoml::base>& node, bool disabled,
                 bool listed) const;
  void walkWso2(const std::string& full, const std::shared_ptr<cpptoml::base>& node,
                bool disabled) const;

  std::shared_ptr<cpptoml::table> table_;
  std::string file_;
  std::string path_;
  TomlLoadContext* context_;
  bool disabled_ = false;  // this table or one above it is switched off (enable = false)
};

}  // namespace gw::conf
