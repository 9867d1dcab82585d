#pragma once

// Syntax-error messages for micro-gw.conf (TOML) and the YAML files (API
// definitions, the filter chain). Internal to //conf:loader.
//
// A line with a syntax error may hold a secret (`password: S3cr3t`, a value on
// a line of its own, an unclosed quote that swallows the next lines), so these
// messages never quote the input: they hold the file name, line and column
// numbers, a fixed description of the error, and the key only when it is one
// of the key names microgw or WSO2 API Microgateway 3.2 define.
//
// Example: with text "[httpClients.proxy]\nhost = \"h\"\n  password: S3cr3t\n",
//   tomlSyntaxError(text, "micro-gw.conf", "Bare key password: S3cr3t cannot ...at line 3")
//   == "micro-gw.conf: invalid TOML at line 3, column 11 (key 'httpClients.proxy.password'): "
//      "expected '=' between the key and its value"

#include <string>

#include "absl/strings/string_view.h"

namespace gw::conf {

// The message for cpptoml's parse error `parser_message` on `text`.
std::string tomlSyntaxError(absl::string_view text, absl::string_view file,
                            absl::string_view parser_message);

// The message for a yaml-cpp parse error at 0-based `line` and `column`
// (negative when unknown) with yaml-cpp's message `parser_message`.
std::string yamlSyntaxError(absl::string_view text, absl::string_view file, int line, int column,
                            absl::string_view parser_message);

}  // namespace gw::conf
