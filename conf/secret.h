#pragma once

// Proxy password resolution shared by the TOML and YAML loaders. Internal to
// //conf:loader. Messages never contain the password.

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "conf/loader.h"

namespace gw::conf {

// The three ways a config can give a password; at most one may be used.
struct PasswordSources {
  std::optional<std::string> password;  // counts as unset when empty
  std::optional<std::string> password_env;
  std::optional<std::string> password_file;
};

// Formats the message prefix for a key of the section being read, e.g.
// where("passwordEnv") == "micro-gw.conf: 'httpClients.proxy.passwordEnv'";
// where("") names the section itself.
using KeyNamer = std::function<std::string(absl::string_view key)>;

// Returns the password ("" when no source is set). A relative passwordFile is
// resolved against `base_dir` ("" = current directory).
absl::StatusOr<std::string> resolvePassword(const PasswordSources& sources, const Environment& env,
                                            const std::string& base_dir, const KeyNamer& where);

// Directory part of `path` ("" when it has none).
std::string directoryOf(const std::string& path);

// `path` if absolute or `base_dir` is empty, else base_dir/path.
std::string resolvePath(const std::string& base_dir, const std::string& path);

}  // namespace gw::conf
