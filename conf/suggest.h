#pragma once

// "Did you mean ...?" suggestions for misspelt configuration keys.
//
// Example:
//   std::string hint = gw::conf::closestMatch("enabel", {"enabled", "host", "port"});
//   // hint == "enabled"

#include <string>
#include <string_view>
#include <vector>

namespace gw::conf {

// Levenshtein distance between `a` and `b`, ASCII case-insensitive (a change of
// case alone costs nothing, so "basepath" is at distance 0 from "basePath").
size_t editDistance(std::string_view a, std::string_view b);

// Returns the candidate closest to `word` by editDistance(), or "" when none is
// close enough to be a plausible misspelling (distance at most max(2, len/3),
// where len is the longer of the two words). Ties go to the earliest candidate.
std::string closestMatch(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace gw::conf
