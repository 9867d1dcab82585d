#pragma once

// Reads an API definition file into a YAML node tree, whatever its syntax:
// JSON (a `.json` file) is parsed as JSON and converted, so that the loaders
// see one tree type; anything else is parsed as YAML. Internal to //conf:loader.
//
// Example:
//   absl::StatusOr<YAML::Node> root = parseApiDocument(text, "apis/petstore.json");

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "yaml-cpp/yaml.h"

namespace gw::conf {

// True for the file names loadApis reads: *.yaml, *.yml and *.json.
bool isApiFileName(absl::string_view name);

// Parses `text`; JSON when `file` ends in ".json". A JSON string becomes a
// quoted YAML scalar (tag "!"), so `"true"` stays a string as it would in
// YAML. A syntax error names the file, line and column, never the text.
absl::StatusOr<YAML::Node> parseApiDocument(const std::string& text, const std::string& file);

}  // namespace gw::conf
