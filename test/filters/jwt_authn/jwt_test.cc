#include "filters/jwt_authn/jwt.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "filters/jwt_authn/jwk.h"
#include "test/filters/jwt_authn/token_factory.h"

namespace gw::filters::jwt_authn {
namespace {

using testing::KeyPair;
using Json = nlohmann::json;

constexpr int64_t kNow = 1'800'000'000;

// Keys are slow to make: one of each kind for the whole suite.
struct Keys {
  KeyPair rsa = testing::rsaKey();
  KeyPair rsa_other = testing::rsaKey();
  KeyPair p256 = testing::ecKey("P-256");
  KeyPair p384 = testing::ecKey("P-384");
};
const Keys& keys() {
  static const Keys* k = new Keys();
  return *k;
}

Json claims() {
  return {{"iss", "https://km.example"}, {"sub", "alice"},  {"aud", "petstore"}, {"jti", "id-1"},
          {"exp", kNow + 600},           {"iat", kNow - 10}};
}

Jwk jwkOf(const KeyPair& key, const std::string& kid, const std::string& alg = "") {
  absl::StatusOr<Jwk> k = Jwk::fromJson(testing::publicJwk(key, kid, alg));
  EXPECT_TRUE(k.ok()) << k.status();
  return *k;
}

TEST(Base64Url, StrictDecoding) {
  struct Case {
    std::string in;
    bool ok;
    std::string out;
  };
  const std::vector<Case> cases = {
      {"", true, ""},        {"YQ", true, "a"},         {"YWI", true, "ab"},
      {"YWJj", true, "abc"}, {"-_8", true, "\xfb\xff"}, {"YQ==", false, ""},
      {"Y", false, ""},      {"YR", false, ""},  // non-zero bits after the last byte
      {"YW+j", false, ""},   {"YW/j", false, ""},       {"YW j", false, ""},
      {"YWJj\n", false, ""},
  };
  for (const Case& c : cases) {
    std::optional<std::string> got = base64UrlDecode(c.in);
    EXPECT_EQ(got.has_value(), c.ok) << c.in;
    if (got && c.ok) EXPECT_EQ(*got, c.out) << c.in;
  }
  EXPECT_EQ(base64UrlEncode("\xfb\xff"), "-_8");
  EXPECT_EQ(*base64UrlDecode(base64UrlEncode(std::string(300, '\x9c'))), std::string(300, '\x9c'));
}

struct AlgCase {
  const char* alg;
  KeyPair Keys::*key;
};

class EveryAlgorithm : public ::testing::TestWithParam<AlgCase> {};

TEST_P(EveryAlgorithm, SignedTokenVerifiesAndTamperingDoesNot) {
  const AlgCase& c = GetParam();
  const KeyPair& key = keys().*c.key;
  std::string token = testing::sign({{"alg", c.alg}, {"kid", "k1"}, {"typ", "JWT"}}, claims(), key);
  absl::StatusOr<Jwt> jwt = parseJwt(token);
  ASSERT_TRUE(jwt.ok()) << jwt.status();
  EXPECT_EQ(algName(jwt->alg), c.alg);
  EXPECT_EQ(jwt->kid, "k1");
  EXPECT_EQ(jwt->issuer, "https://km.example");
  EXPECT_EQ(jwt->subject, "alice");
  EXPECT_EQ(jwt->audiences, std::vector<std::string>{"petstore"});
  Jwk jwk = jwkOf(key, "k1");
  EXPECT_TRUE(verifySignature(*jwt, jwk).ok());
  EXPECT_TRUE(verifySignature(*jwt, jwkOf(key, "k1", c.alg)).ok());

  // A changed payload (same header, same signature) must not verify.
  Json other = claims();
  other["sub"] = "mallory";
  std::string forged = testing::sign({{"alg", c.alg}, {"kid", "k1"}, {"typ", "JWT"}}, other, key);
  std::string spliced = forged.substr(0, forged.rfind('.')) + token.substr(token.rfind('.'));
  absl::StatusOr<Jwt> tampered = parseJwt(spliced);
  ASSERT_TRUE(tampered.ok());
  EXPECT_FALSE(verifySignature(*tampered, jwk).ok());

  // One flipped signature bit must not verify.
  Jwt flipped = *jwt;
  flipped.signature[flipped.signature.size() / 2] ^= 0x01;
  EXPECT_FALSE(verifySignature(flipped, jwk).ok());
}

INSTANTIATE_TEST_SUITE_P(
    Jws, EveryAlgorithm,
    ::testing::Values(AlgCase{"RS256", &Keys::rsa}, AlgCase{"RS384", &Keys::rsa},
                      AlgCase{"RS512", &Keys::rsa}, AlgCase{"PS256", &Keys::rsa},
                      AlgCase{"PS384", &Keys::rsa}, AlgCase{"PS512", &Keys::rsa},
                      AlgCase{"ES256", &Keys::p256}, AlgCase{"ES384", &Keys::p384}),
    [](const auto& info) { return std::string(info.param.alg); });

TEST(Verify, WrongKeyOrKeyTypeIsRefused) {
  std::string rs = testing::sign({{"alg", "RS256"}, {"kid", "k1"}}, claims(), keys().rsa);
  absl::StatusOr<Jwt> jwt = parseJwt(rs);
  ASSERT_TRUE(jwt.ok());
  EXPECT_FALSE(verifySignature(*jwt, jwkOf(keys().rsa_other, "k1")).ok());
  absl::Status ec = verifySignature(*jwt, jwkOf(keys().p256, "k1"));
  EXPECT_NE(ec.message().find("not an RSA key"), std::string::npos) << ec;
  // A key published for RS256 only does not verify the same key's PS256 token.
  std::string ps = testing::sign({{"alg", "PS256"}, {"kid", "k1"}}, claims(), keys().rsa);
  absl::Status restricted = verifySignature(*parseJwt(ps), jwkOf(keys().rsa, "k1", "RS256"));
  EXPECT_NE(restricted.message().find("is for RS256"), std::string::npos) << restricted;
  // ES256 needs P-256.
  std::string es = testing::sign({{"alg", "ES256"}}, claims(), keys().p256);
  EXPECT_FALSE(verifySignature(*parseJwt(es), jwkOf(keys().p384, "")).ok());
}

TEST(Parse, RefusedHeaders) {
  std::string public_pem = testing::publicPem(keys().rsa);
  struct Case {
    std::string name;
    std::string token;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"alg none", testing::sign({{"alg", "none"}}, claims(), nullptr), "alg: none"},
      {"HS256 with the public key as secret",
       testing::sign({{"alg", "HS256"}}, claims(), nullptr, public_pem), "HMAC"},
      {"unknown alg", testing::sign({{"alg", "RS1"}}, claims(), nullptr, "x"), "is not one of"},
      {"no alg", base64UrlEncode("{}") + "." + base64UrlEncode(claims().dump()) + ".AAAA",
       "no `alg`"},
      {"crit",
       testing::sign({{"alg", "RS256"}, {"crit", {"exp"}}, {"exp", 1}}, claims(), keys().rsa),
       "crit"},
      {"kid not a string", testing::sign({{"alg", "RS256"}, {"kid", 7}}, claims(), keys().rsa),
       "`kid`"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<Jwt> jwt = parseJwt(c.token);
    ASSERT_FALSE(jwt.ok()) << c.name;
    EXPECT_EQ(jwt.status().code(), absl::StatusCode::kUnauthenticated) << c.name;
    EXPECT_NE(jwt.status().message().find(c.message), std::string::npos)
        << c.name << ": " << jwt.status();
  }
}

TEST(Parse, MalformedStructureAndClaims) {
  std::string good = testing::sign({{"alg", "RS256"}}, claims(), keys().rsa);
  std::string header = good.substr(0, good.find('.'));
  std::string sig = good.substr(good.rfind('.') + 1);
  auto with = [&](const Json& payload) {
    return header + "." + base64UrlEncode(payload.dump()) + "." + sig;
  };
  Json exp_string = claims();
  exp_string["exp"] = "tomorrow";
  Json aud_number = claims();
  aud_number["aud"] = 5;
  Json aud_mixed = claims();
  aud_mixed["aud"] = {"a", 1};
  Json iss_object = claims();
  iss_object["iss"] = Json::object();
  const std::vector<std::string> bad = {
      "",
      "abc",
      header + "." + sig,
      good + ".x",
      header + ".." + sig,
      header + "." + base64UrlEncode("[1,2]") + "." + sig,
      header + "." + base64UrlEncode("{\"sub\":") + "." + sig,
      header + ".e30.",
      header + ".e30.%%%",
      with(exp_string),
      with(aud_number),
      with(aud_mixed),
      with(iss_object),
      std::string(kMaxTokenLength + 1, 'a'),
  };
  for (const std::string& token : bad) {
    absl::StatusOr<Jwt> jwt = parseJwt(token);
    EXPECT_FALSE(jwt.ok()) << token.substr(0, 80);
    if (!jwt.ok() && token.size() > 8) {
      // The message never quotes the token.
      EXPECT_EQ(jwt.status().message().find(token.substr(0, 8)), std::string::npos);
    }
  }
  Json aud_list = claims();
  aud_list["aud"] = {"a", "b"};
  absl::StatusOr<Jwt> ok = parseJwt(with(aud_list));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->audiences, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(ok->signature_segment, sig);
  EXPECT_EQ(ok->claims["sub"], "alice");
}

TEST(Times, ExpNbfIatWithSkew) {
  struct Case {
    std::string name;
    Json changes;
    bool ok;
  };
  const std::chrono::milliseconds skew(5000);
  const std::vector<Case> cases = {
      {"valid", Json::object(), true},
      {"expired long ago", {{"exp", kNow - 60}}, false},
      {"expired within the skew", {{"exp", kNow - 4}}, true},
      {"expired just past the skew", {{"exp", kNow - 5}}, false},
      {"not before, in the future", {{"nbf", kNow + 60}}, false},
      {"not before, within the skew", {{"nbf", kNow + 4}}, true},
      {"issued in the future", {{"iat", kNow + 60}}, false},
      {"fractional exp", {{"exp", kNow + 0.5}}, true},
  };
  for (const Case& c : cases) {
    Json payload = claims();
    payload.update(c.changes);
    absl::StatusOr<Jwt> jwt = parseJwt(testing::sign({{"alg", "RS256"}}, payload, keys().rsa));
    ASSERT_TRUE(jwt.ok()) << c.name;
    EXPECT_EQ(checkTimes(*jwt, kNow, skew).ok(), c.ok) << c.name;
  }
  Json no_exp = claims();
  no_exp.erase("exp");
  EXPECT_TRUE(
      checkTimes(*parseJwt(testing::sign({{"alg", "RS256"}}, no_exp, keys().rsa)), kNow, skew)
          .ok());
}

TEST(JwkSet, ParsesUsableKeysAndSaysWhyOthersAreSkipped) {
  Json rsa_private = testing::publicJwk(keys().rsa, "priv");
  rsa_private["d"] = "AAAA";
  Json off_curve = testing::publicJwk(keys().p256, "off");
  std::string y = *base64UrlDecode(off_curve["y"].get<std::string>());
  y[5] ^= 0x40;
  off_curve["y"] = base64UrlEncode(y);
  Json enc = testing::publicJwk(keys().rsa_other, "enc");
  enc["use"] = "enc";
  Json doc = {{"keys",
               {testing::publicJwk(keys().rsa, "r1"),
                testing::publicJwk(keys().p256, "e1"),
                testing::publicJwk(testing::rsaKey(1024), "small"),
                rsa_private,
                off_curve,
                enc,
                {{"kty", "oct"}, {"k", "c2VjcmV0"}},
                {{"kty", "OKP"}, {"crv", "Ed25519"}},
                42}}};
  absl::StatusOr<JwkSet> set = JwkSet::parse(doc.dump());
  ASSERT_TRUE(set.ok()) << set.status();
  EXPECT_EQ(set->size(), 2u);
  ASSERT_NE(set->find("r1"), nullptr);
  EXPECT_EQ(set->find("e1")->curve(), "P-256");
  EXPECT_EQ(set->find("small"), nullptr);
  EXPECT_EQ(set->find(""), nullptr);  // no kid and several keys: ambiguous
  ASSERT_EQ(set->skipped().size(), 7u);
  std::string all;
  for (const std::string& s : set->skipped()) all += s + "\n";
  EXPECT_NE(all.find("1024 bits"), std::string::npos) << all;
  EXPECT_NE(all.find("private parameters"), std::string::npos) << all;
  EXPECT_NE(all.find("not a valid public key"), std::string::npos) << all;
  EXPECT_NE(all.find("not a signing key"), std::string::npos) << all;
  EXPECT_EQ(all.find("c2VjcmV0"), std::string::npos) << all;  // no key material in messages

  for (const char* bad :
       {"", "[]", "{}", "{\"keys\":{}}", "{\"keys\":[]}", "{\"keys\":[1]}", "nul"}) {
    EXPECT_FALSE(JwkSet::parse(bad).ok()) << bad;
  }
  absl::StatusOr<JwkSet> single =
      JwkSet::parse(Json{{"keys", {testing::publicJwk(keys().rsa, "")}}}.dump());
  ASSERT_TRUE(single.ok());
  EXPECT_NE(single->find(""), nullptr);
}

TEST(Jwk, FromPemKeyOrCertificate) {
  std::string token = testing::sign({{"alg", "RS256"}}, claims(), keys().rsa);
  for (const std::string& pem :
       {testing::publicPem(keys().rsa), testing::certificatePem(keys().rsa)}) {
    absl::StatusOr<Jwk> key = Jwk::fromPem(pem, "wso2carbon");
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_EQ(key->kid(), "wso2carbon");
    EXPECT_TRUE(verifySignature(*parseJwt(token), *key).ok());
  }
  absl::StatusOr<Jwk> ec = Jwk::fromPem(testing::publicPem(keys().p384), "ec");
  ASSERT_TRUE(ec.ok()) << ec.status();
  EXPECT_EQ(ec->curve(), "P-384");
  EXPECT_FALSE(Jwk::fromPem("not pem", "x").ok());
  absl::StatusOr<Jwk> small = Jwk::fromPem(testing::publicPem(testing::rsaKey(1024)), "s");
  ASSERT_FALSE(small.ok());
  EXPECT_NE(small.status().message().find("at least 2048"), std::string::npos);
}

}  // namespace
}  // namespace gw::filters::jwt_authn
