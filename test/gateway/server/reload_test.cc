#include "gateway/server/reload.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "gateway/router/route_table.h"

namespace gw::server {
namespace {

conf::ApiDefinition api(const std::string& title, const std::string& base_path,
                        const std::string& url = "http://127.0.0.1:8080/") {
  conf::ApiDefinition a;
  a.file = "/apis/" + title + ".yaml";
  a.title = title;
  a.version = "1.0.0";
  a.base_path = base_path;
  conf::EndpointUrl u;
  u.url = url;
  u.scheme = "http";
  u.host = "127.0.0.1";
  u.port = 8080;
  a.production.urls.push_back(u);
  conf::Operation op;
  op.path_template = "/pets";
  op.method = "GET";
  a.operations.push_back(op);
  return a;
}

conf::Config baseConfig() {
  conf::Config c;
  c.listener.host = "127.0.0.1";
  c.listener.http_port = 9090;
  c.listener.workers = 2;
  c.http_clients.proxy.enabled = true;
  c.http_clients.proxy.host = "127.0.0.1";
  c.http_clients.proxy.port = 3128;
  c.http_clients.proxy.username = "mgw";
  c.http_clients.proxy.password = "S3cr3t-pw";
  return c;
}

Runtime runtime(const conf::Config& config, std::vector<conf::ApiDefinition> apis) {
  Runtime r;
  r.config = std::make_shared<const conf::Config>(config);
  auto routes = router::RouteTable::build(std::move(apis));
  EXPECT_TRUE(routes.ok()) << routes.status();
  r.routes = *routes;
  r.chain.file = "/conf/filters.yaml";
  r.chain.filters.push_back(conf::FilterEntry{"router", "", 0});
  return r;
}

TEST(DiffRuntimes, NothingChanged) {
  Runtime a = runtime(baseConfig(), {api("pets", "/pets")});
  Runtime b = runtime(baseConfig(), {api("pets", "/pets")});
  RuntimeDiff diff = diffRuntimes(a, b);
  EXPECT_TRUE(diff.empty());
  EXPECT_EQ(describeDiff(diff), "no changes");
  EXPECT_FALSE(upstreamSettingsChanged(a, b));
}

TEST(DiffRuntimes, ApisAddedRemovedChanged) {
  Runtime a = runtime(baseConfig(), {api("pets", "/pets"), api("old", "/old")});
  Runtime b =
      runtime(baseConfig(), {api("pets", "/pets", "http://127.0.0.1:9999/"), api("shop", "/shop")});
  RuntimeDiff diff = diffRuntimes(a, b);
  EXPECT_EQ(diff.apis_added, std::vector<std::string>{"shop (/shop)"});
  EXPECT_EQ(diff.apis_removed, std::vector<std::string>{"old (/old)"});
  EXPECT_EQ(diff.apis_changed, std::vector<std::string>{"pets (/pets)"});
  EXPECT_FALSE(diff.proxy_changed);
  EXPECT_FALSE(diff.chain_changed);
  EXPECT_EQ(describeDiff(diff),
            "APIs added: shop (/shop); APIs removed: old (/old); APIs changed: pets (/pets)");
}

TEST(DiffRuntimes, OperationChangeIsAnApiChange) {
  conf::ApiDefinition changed = api("pets", "/pets");
  changed.operations[0].method = "POST";
  RuntimeDiff diff =
      diffRuntimes(runtime(baseConfig(), {api("pets", "/pets")}), runtime(baseConfig(), {changed}));
  EXPECT_EQ(diff.apis_changed, std::vector<std::string>{"pets (/pets)"});
}

TEST(DiffRuntimes, SecurityChanges) {
  conf::Config changed = baseConfig();
  conf::JwtTokenConfig issuer;
  issuer.issuer = "https://km";
  issuer.jwks_url = "https://km/jwks";
  changed.security.jwt_issuers.push_back(issuer);
  RuntimeDiff diff = diffRuntimes(runtime(baseConfig(), {}), runtime(changed, {}));
  EXPECT_TRUE(diff.security_changed);
  EXPECT_EQ(describeDiff(diff), "security settings changed");
  conf::Config skew = changed;
  skew.security.jwt_issuers[0].claims.push_back({"scp", "scope"});
  EXPECT_TRUE(diffRuntimes(runtime(changed, {}), runtime(skew, {})).security_changed);
  EXPECT_TRUE(diffRuntimes(runtime(changed, {}), runtime(changed, {})).empty());
  conf::Config introspection = changed;
  introspection.security.introspection_url_override = "https://km/introspect";
  EXPECT_TRUE(diffRuntimes(runtime(changed, {}), runtime(introspection, {})).security_changed);
  conf::Config password = changed;
  password.security.km_password = "rotated";
  EXPECT_TRUE(diffRuntimes(runtime(changed, {}), runtime(password, {})).security_changed);
  conf::Config keys = changed;
  keys.security.apikey_validate_allowed_apis = true;
  EXPECT_TRUE(diffRuntimes(runtime(changed, {}), runtime(keys, {})).security_changed);
}

TEST(DiffRuntimes, OperationSecurityChangeIsAnApiChange) {
  conf::ApiDefinition scoped = api("pets", "/pets");
  scoped.operations[0].security.scopes = {"read"};
  RuntimeDiff diff =
      diffRuntimes(runtime(baseConfig(), {api("pets", "/pets")}), runtime(baseConfig(), {scoped}));
  EXPECT_EQ(diff.apis_changed, std::vector<std::string>{"pets (/pets)"});
}

// Each of these must give new requests a new connector (old pooled
// connections are not reused); none may appear in the description.
TEST(DiffRuntimes, UpstreamSettingChanges) {
  struct Case {
    const char* name;
    void (*mutate)(conf::Config&);
    bool proxy;
  };
  const Case cases[] = {
      {"password", [](conf::Config& c) { c.http_clients.proxy.password = "N3w-pw"; }, true},
      {"username", [](conf::Config& c) { c.http_clients.proxy.username = "other"; }, true},
      {"proxy port", [](conf::Config& c) { c.http_clients.proxy.port = 3129; }, true},
      {"proxy off", [](conf::Config& c) { c.http_clients.proxy.enabled = false; }, true},
      {"forward mode",
       [](conf::Config& c) { c.http_clients.proxy.http_mode = conf::HttpProxyMode::Forward; },
       true},
      {"env http proxy",
       [](conf::Config& c) { c.http_clients.plain_http_proxy = conf::ProxyConfig{}; }, true},
      {"trust store", [](conf::Config& c) { c.http_clients.trust_store_path = "/ca.pem"; }, false},
      {"verify host", [](conf::Config& c) { c.http_clients.verify_hostname = false; }, false},
      {"connect timeout", [](conf::Config& c) { c.http_clients.connect_timeout_ms = 1; }, false},
      {"pool size", [](conf::Config& c) { c.http_clients.max_idle_connections_per_host = 1; },
       false},
      {"active cap", [](conf::Config& c) { c.http_clients.pool.max_active_connections = 4; },
       false},
      {"pool wait", [](conf::Config& c) { c.http_clients.pool.wait_time_ms = 7; }, false},
  };
  for (const Case& c : cases) {
    conf::Config changed = baseConfig();
    c.mutate(changed);
    Runtime a = runtime(baseConfig(), {});
    Runtime b = runtime(changed, {});
    RuntimeDiff diff = diffRuntimes(a, b);
    EXPECT_TRUE(upstreamSettingsChanged(a, b)) << c.name;
    EXPECT_TRUE(diff.upstream_changed) << c.name;
    EXPECT_EQ(diff.proxy_changed, c.proxy) << c.name;
    std::string text = describeDiff(diff);
    EXPECT_NE(text.find("pooled connections drained"), std::string::npos) << c.name;
    EXPECT_EQ(text.find("S3cr3t"), std::string::npos) << c.name;
    EXPECT_EQ(text.find("N3w"), std::string::npos) << c.name;
  }
}

TEST(DiffRuntimes, TrustStoreContentsCount) {
  Runtime a = runtime(baseConfig(), {});
  Runtime b = runtime(baseConfig(), {});
  a.trust_store_digest = "10:1";
  b.trust_store_digest = "10:2";
  EXPECT_TRUE(upstreamSettingsChanged(a, b));
}

TEST(DiffRuntimes, ChainAndListenerLimits) {
  Runtime a = runtime(baseConfig(), {});
  Runtime b = runtime(baseConfig(), {});
  b.chain.filters.insert(b.chain.filters.begin(), conf::FilterEntry{"headers", "add: {}", 0});
  conf::Config limits = baseConfig();
  limits.listener.idle_timeout_ms = 5;
  Runtime c = runtime(limits, {});
  EXPECT_TRUE(diffRuntimes(a, b).chain_changed);
  EXPECT_EQ(describeDiff(diffRuntimes(a, b)), "filter chain changed");
  EXPECT_TRUE(diffRuntimes(a, c).other_changed);
  EXPECT_FALSE(diffRuntimes(a, c).upstream_changed);
  // Limits added with the hardening work count too.
  void (*more[])(conf::Config&) = {
      [](conf::Config& x) { x.listener.max_header_count = 7; },
      [](conf::Config& x) {
        x.listener.headers_with_underscores = conf::UnderscoreHeaderAction::Allow;
      },
      [](conf::Config& x) { x.listener.request_body_timeout_ms = 9; },
  };
  for (auto mutate : more) {
    conf::Config changed = baseConfig();
    mutate(changed);
    EXPECT_TRUE(diffRuntimes(a, runtime(changed, {})).other_changed);
  }
}

TEST(RestartOnlyChanges, NamesKeyAndBothValues) {
  conf::Config a = baseConfig();
  conf::Config b = baseConfig();
  EXPECT_TRUE(restartOnlyChanges(a, b).empty());
  b.listener.http_port = 9091;
  b.admin.enabled = false;
  b.access_log.path = "/var/log/mgw.log";
  b.listener.idle_timeout_ms = 1;  // not restart-only
  std::vector<std::string> lines = restartOnlyChanges(a, b);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "listenerConfig.httpPort changed (9090 -> 9091): takes effect only after a restart");
  EXPECT_EQ(lines[1], "admin.enabled changed (true -> false): takes effect only after a restart");
  EXPECT_EQ(lines[2],
            "accessLog.path changed (- -> /var/log/mgw.log): takes effect only after a restart");
}

TEST(FileDigest, ChangesWithContents) {
  std::string path = ::testing::TempDir() + "/digest.pem";
  std::ofstream(path) << "one";
  std::string first = fileDigest(path);
  std::ofstream(path) << "two";
  EXPECT_NE(first, fileDigest(path));
  EXPECT_FALSE(first.empty());
  EXPECT_EQ(fileDigest(""), "");
  EXPECT_EQ(fileDigest(path + ".missing"), "");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace gw::server
