#pragma once

// The one table of WSO2 3.2's x-wso2-* API definition extensions and what
// microgw does with each (read, accepted with a warning, refused), and the
// check that keeps any x-wso2-* key from being ignored silently: an unknown
// one is an error with a did-you-mean, one in the wrong place is an error
// saying where it belongs. Internal to //conf:loader, exposed for tests.

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "conf/config.h"
#include "conf/yaml_util.h"
#include "yaml-cpp/yaml.h"

namespace gw::conf {

// Where in the definition a map of keys sits.
enum class ExtensionLevel {
  Api,        // the document's top level
  PathItem,   // paths./pets (WSO2 reads no extension here)
  Operation,  // paths./pets.get
};

enum class ExtensionSupport {
  Read,         // read by the API loaders (or a filter's config)
  Warned,       // accepted; one start-up warning per API says what is not done
  Interceptor,  // refused by the interceptor check, with its own message
};

struct ExtensionInfo {
  const char* name;
  bool api;        // allowed at the top level
  bool operation;  // allowed on an operation
  ExtensionSupport support;
  const char* note;  // for Warned: what is not done and what happens instead
};

// Every x-wso2-* extension WSO2 3.2 reads.
const std::vector<ExtensionInfo>& wso2Extensions();

// Checks the x-wso2-* keys of `node` (a map at `location`) against the table.
// Warned extensions add one line to ctx.warnings per name in `warned` (the
// set is per API, so an extension on ten operations warns once); `api_name`
// ("API 'Petstore'") starts that line.
absl::Status checkExtensions(const YamlContext& ctx, const YAML::Node& node,
                             absl::string_view location, ExtensionLevel level,
                             const std::string& api_name, std::set<std::string>& warned);

// Reads x-wso2-mutual-ssl (mandatory | optional) and x-wso2-transports
// ([http, https]) of the definition's top level `root` into `api`.
absl::Status readTransportExtensions(const YamlContext& ctx, const YAML::Node& root,
                                     ApiDefinition& api);

}  // namespace gw::conf
