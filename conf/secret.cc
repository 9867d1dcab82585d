#include "conf/secret.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"

namespace gw::conf {
namespace {

absl::StatusOr<std::string> readPasswordFile(const std::string& path, const KeyNamer& where) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::InvalidArgumentError(
        absl::StrCat(where("passwordFile"), ": cannot read '", path, "': ", std::strerror(errno)));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where("passwordFile"), ": cannot read '", path, "'"));
  }
  std::string password = content.str();
  if (!password.empty() && password.back() == '\n') password.pop_back();
  if (!password.empty() && password.back() == '\r') password.pop_back();
  return password;
}

}  // namespace

absl::StatusOr<std::string> resolvePassword(const PasswordSources& sources, const Environment& env,
                                            const std::string& base_dir, const KeyNamer& where) {
  const bool has_plain = sources.password.has_value() && !sources.password->empty();
  const int count =
      (has_plain ? 1 : 0) + (sources.password_env ? 1 : 0) + (sources.password_file ? 1 : 0);
  if (count > 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(where(""), ": set at most one of password, passwordEnv, passwordFile"));
  }
  if (sources.password_env) {
    const std::string& name = *sources.password_env;
    if (name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where("passwordEnv"), ": expected the name of an environment variable"));
    }
    std::optional<std::string> value = env.get_env ? env.get_env(name) : std::nullopt;
    if (!value) {
      return absl::InvalidArgumentError(
          absl::StrCat(where("passwordEnv"), ": environment variable '", name, "' is not set"));
    }
    return *value;
  }
  if (sources.password_file) {
    if (sources.password_file->empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where("passwordFile"), ": expected a file path"));
    }
    return readPasswordFile(resolvePath(base_dir, *sources.password_file), where);
  }
  return sources.password.value_or("");
}

std::string directoryOf(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string resolvePath(const std::string& base_dir, const std::string& path) {
  if (base_dir.empty() || (!path.empty() && path.front() == '/')) return path;
  if (base_dir.back() == '/') return base_dir + path;
  return absl::StrCat(base_dir, "/", path);
}

}  // namespace gw::conf
