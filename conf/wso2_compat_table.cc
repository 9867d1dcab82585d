// Prints the README's WSO2 3.2 compatibility table (Markdown) from
// conf/wso2_compat.cc: bazel run //conf:wso2_compat_table

#include <cstdio>

#include "conf/wso2_compat.h"

int main() {
  std::fputs(gw::conf::wso2ReadmeTable().c_str(), stdout);
  return 0;
}
