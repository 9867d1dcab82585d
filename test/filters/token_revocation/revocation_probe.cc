// A small driver for test/integration/revocation_test.py: loads a
// micro-gw.conf, starts the RevocationService (the same code the gateway
// runs) and answers isRevoked() questions on stdin, one per line:
//   "<jti> <signature_segment>"  ->  "1" (revoked) or "0"
// Logs go to stderr. Exits at EOF.

#include <iostream>
#include <sstream>
#include <string>

#include "conf/loader.h"
#include "filters/token_revocation/revocation_service.h"
#include "gateway/common/log.h"
#include "gateway/stats/stats.h"

int main(int argc, char** argv) {
  using gw::filters::token_revocation::processRevocationStore;
  using gw::filters::token_revocation::RevocationService;
  if (argc != 2) {
    std::cerr << "usage: revocation_probe micro-gw.conf\n";
    return 2;
  }
  gw::log::setLevel(gw::log::Level::Debug);
  absl::StatusOr<gw::conf::Config> config =
      gw::conf::loadConfig(argv[1], gw::conf::Environment::system());
  if (!config.ok()) {
    std::cerr << config.status().message() << "\n";
    return 2;
  }
  gw::stats::Store stats;
  std::unique_ptr<RevocationService> service =
      RevocationService::start(config->token_revocation, config->http_clients, stats);
  if (!service) {
    std::cerr << "token revocation is not enabled in " << argv[1] << "\n";
    return 2;
  }
  std::cout << "ready" << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    std::istringstream in(line);
    std::string jti, sig;
    in >> jti >> sig;
    std::cout << (processRevocationStore().isRevoked(jti, sig) ? "1" : "0") << std::endl;
  }
  return 0;
}
