#pragma once

// Typed, validated reads from one TOML table of micro-gw.conf. Internal to
// //conf:loader. Every error names the file and the full dotted key; no error
// contains a string value (it may be a password).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "cpptoml.h"

namespace gw::conf {

// A view of one TOML table (or of an absent one: then every read keeps the
// caller's default). Not thread-safe; lives only while a file is loaded.
class TomlSection {
 public:
  // `path` is the dotted name of the table ("" for the root); `warnings`
  // collects notes on accepted-but-ignored WSO2 keys and must outlive this.
  TomlSection(std::shared_ptr<cpptoml::table> table, std::string file, std::string path,
              std::vector<std::string>* warnings);

  bool present() const { return table_ != nullptr; }
  bool has(const std::string& key) const;
  const std::string& path() const { return path_; }

  // "<file>: '<path>.<key>'", or "<file>: '<path>'" for an empty key.
  std::string keyName(absl::string_view key) const;

  // Fails on a key that is in neither list (with a "did you mean" hint),
  // except WSO2 keys on the ignore list, which add a warning.
  absl::Status checkKeys(const std::vector<std::string>& keys,
                         const std::vector<std::string>& sections) const;

  absl::Status readString(const std::string& key, std::string& out) const;
  absl::Status readOptionalString(const std::string& key, std::optional<std::string>& out) const;
  absl::Status readBool(const std::string& key, bool& out) const;
  absl::Status readOptionalBool(const std::string& key, std::optional<bool>& out) const;
  absl::Status readStringArray(const std::string& key, std::vector<std::string>& out) const;
  absl::Status readInteger(const std::string& key, int64_t min, int64_t max, int64_t& out) const;

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

  std::shared_ptr<cpptoml::table> table_;
  std::string file_;
  std::string path_;
  std::vector<std::string>* warnings_;
};

}  // namespace gw::conf
