// Cost of one uncached RS256 token check (parse + verify), single thread and
// two threads sharing one key, against `openssl speed rsa2048` (verify/s).
//   bazel run -c opt //test/filters/jwt_authn:jwt_verify_bench

#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "filters/jwt_authn/jwk.h"
#include "filters/jwt_authn/jwt.h"
#include "test/filters/jwt_authn/token_factory.h"

using namespace gw::filters::jwt_authn;

namespace {

double run(const std::string& token, const Jwk& key, int iterations) {
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) {
    absl::StatusOr<Jwt> jwt = parseJwt(token);
    if (!jwt.ok() || !verifySignature(*jwt, key).ok()) std::abort();
  }
  std::chrono::duration<double> s = std::chrono::steady_clock::now() - start;
  return iterations / s.count();
}

}  // namespace

int main() {
  testing::KeyPair pair = testing::rsaKey(2048);
  nlohmann::json payload = {{"iss", "https://km.test/oauth2/token"},
                            {"aud", "http://api.test/"},
                            {"sub", "app"},
                            {"jti", "0b2f3c1e-8d4a-4d55-9f5c-2f0b2b7b6a11"},
                            {"iat", 1800000000},
                            {"exp", 1800000600},
                            {"scope", "read write"},
                            {"client_id", "mgw-app"}};
  std::string token = testing::sign({{"alg", "RS256"}, {"kid", "k1"}}, payload, pair);
  absl::StatusOr<JwkSet> set =
      JwkSet::parse(nlohmann::json{{"keys", {testing::publicJwk(pair, "k1")}}}.dump());
  const Jwk& key = *set->find("k1");
  constexpr int kIterations = 20000;
  run(token, key, 1000);
  std::printf("1 thread: %.0f checks/s\n", run(token, key, kIterations));
  std::vector<double> rates(2);
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] { rates[t] = run(token, key, kIterations); });
  }
  for (auto& t : threads) t.join();
  std::printf("2 threads: %.0f + %.0f checks/s\n", rates[0], rates[1]);
  return 0;
}
