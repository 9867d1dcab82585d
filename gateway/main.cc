// microgw: an API microgateway that reaches backends directly or through a
// forward proxy. See README.md.

#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "conf/loader.h"
#include "gateway/common/log.h"
#include "gateway/server/server.h"

namespace {

constexpr const char* kVersion = "0.1.0";

void printUsage(FILE* out) {
  std::fprintf(out,
               "usage: microgw [--conf PATH] [--apis DIR] [--runtime-home DIR] [--check]\n"
               "               [--log-level LEVEL] [--etcd KEY=VALUE ...]\n"
               "\n"
               "  --conf PATH        micro-gw.conf (TOML); default conf/micro-gw.conf\n"
               "  --apis DIR         directory of OpenAPI 3 API definitions; default conf/apis\n"
               "  --runtime-home DIR the value of ${mgw-runtime.home} in micro-gw.conf paths\n"
               "                     (WSO2 API Microgateway 3.2's installation directory)\n"
               "  --check            validate the configuration and exit (0 = valid, 2 = invalid)\n"
               "  --log-level LEVEL  debug | info | warn | error; default info\n"
               "  --etcd KEY=VALUE   etcd service discovery (WSO2's run-time keys etcdurl,\n"
               "                     etcdusername, etcdpassword, etcdtimer, etcdbasepath);\n"
               "                     repeatable; wins over the same key in micro-gw.conf\n"
               "  --version          print the version and exit\n"
               "  --help             this text\n");
}

bool setLogLevel(const std::string& name) {
  static const std::pair<const char*, gw::log::Level> kLevels[] = {
      {"debug", gw::log::Level::Debug},
      {"info", gw::log::Level::Info},
      {"warn", gw::log::Level::Warn},
      {"error", gw::log::Level::Error}};
  for (const auto& [level_name, level] : kLevels) {
    if (name == level_name) {
      gw::log::setLevel(level);
      return true;
    }
  }
  return false;
}

// Which filter chain runs, for the start-up log and --check.
std::string describeChain(const gw::conf::Config& config) {
  if (!config.chain_file.empty()) return config.chain_file;
  return std::string(gw::conf::kBuiltinChainName) +
         " (analytics when [analytics] is enabled, request_id, headers, cors, jwt_authn, "
         "oauth2_introspection, api_key, throttle when an API names a throttling tier or "
         "global event publishing is on, router; no [filters] chainFile and no " +
         gw::conf::kDefaultChainFileName + " beside " + config.file + ")";
}

}  // namespace

int main(int argc, char** argv) {
  gw::server::Options options;
  bool check = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char* name) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "microgw: %s needs a value\n", name);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--conf") {
      options.conf_path = value("--conf");
    } else if (arg == "--apis") {
      options.apis_dir = value("--apis");
    } else if (arg == "--etcd") {
      options.etcd_flags.push_back(value("--etcd"));
    } else if (arg == "--runtime-home") {
      options.runtime_home = value("--runtime-home");
    } else if (arg == "--check") {
      check = true;
    } else if (arg == "--log-level") {
      std::string level = value("--log-level");
      if (!setLogLevel(level)) {
        std::fprintf(stderr, "microgw: unknown --log-level '%s' (debug, info, warn, error)\n",
                     level.c_str());
        return 2;
      }
    } else if (arg == "--version") {
      std::printf("microgw %s\n", kVersion);
      return 0;
    } else if (arg == "--help" || arg == "-h") {
      printUsage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "microgw: unknown argument '%s'\n", arg.c_str());
      printUsage(stderr);
      return 2;
    }
  }
  gw::stats::Store stats;
  auto runtime = gw::server::loadRuntime(options, stats);
  if (!runtime.ok()) {
    std::fprintf(stderr, "microgw: configuration error: %.*s\n",
                 static_cast<int>(runtime.status().message().size()),
                 runtime.status().message().data());
    return 2;
  }
  const std::string chain = describeChain(*(*runtime)->config);
  if (check) {
    std::printf("microgw: configuration OK (%s, %zu APIs, filter chain: %s)\n",
                options.conf_path.c_str(), (*runtime)->routes->apis().size(), chain.c_str());
    return 0;
  }
  GW_LOG_INFO("filter chain: ", chain);
  return gw::server::serve(std::move(*runtime), stats, options);
}
