#include "gateway/router/route_table.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace gw::router {
namespace {

using Result = RouteMatch::Result;

conf::Operation op(std::string method, std::string path_template) {
  conf::Operation o;
  o.method = std::move(method);
  o.path_template = std::move(path_template);
  return o;
}

conf::EndpointConfig endpoint(std::string host) {
  conf::EndpointConfig e;
  conf::EndpointUrl u;
  u.url = "http://" + host + ":8080";
  u.scheme = "http";
  u.host = std::move(host);
  u.port = 8080;
  e.urls.push_back(u);
  return e;
}

conf::ApiDefinition api(std::string title, std::string base_path,
                        std::vector<conf::Operation> ops) {
  conf::ApiDefinition a;
  a.file = title + ".yaml";
  a.title = std::move(title);
  a.base_path = std::move(base_path);
  a.production = endpoint(a.title + ".backend");
  a.operations = std::move(ops);
  return a;
}

std::shared_ptr<const RouteTable> petTable() {
  std::vector<conf::ApiDefinition> apis;
  apis.push_back(api("pet", "/pet",
                     {op("GET", "/"), op("GET", "/pets"), op("POST", "/pets"),
                      op("GET", "/pets/{petId}"), op("DELETE", "/pets/{petId}"),
                      op("GET", "/pets/mine"), op("PUT", "/pets/{petId}/photos/{photoId}")}));
  apis.push_back(api("petstore", "/petstore", {op("GET", "/inventory")}));
  apis.push_back(api("petstore-v2", "/petstore/v2", {op("GET", "/inventory")}));
  auto table = RouteTable::build(std::move(apis));
  EXPECT_TRUE(table.ok()) << table.status();
  return *table;
}

struct MatchCase {
  const char* method;
  const char* path;
  Result result;
  const char* api;            // title, "" when none
  const char* path_template;  // matched operation, "" when none
  const char* upstream_path;
  const char* allowed;
};

TEST(RouteTable, MatchTable) {
  auto table = petTable();
  const MatchCase cases[] = {
      // basePath picks the API at a segment boundary; the longest wins.
      {"GET", "/pet/pets", Result::Matched, "pet", "/pets", "/pets", ""},
      {"GET", "/petstore/inventory", Result::Matched, "petstore", "/inventory", "/inventory", ""},
      {"GET", "/petstore/v2/inventory", Result::Matched, "petstore-v2", "/inventory", "/inventory",
       ""},
      {"GET", "/petstorex/inventory", Result::NoApi, "", "", "", ""},
      {"GET", "/pe/pets", Result::NoApi, "", "", "", ""},
      {"GET", "/other", Result::NoApi, "", "", "", ""},
      // Templates match exactly one non-empty segment.
      {"GET", "/pet/pets/42", Result::Matched, "pet", "/pets/{petId}", "/pets/42", ""},
      {"PUT", "/pet/pets/42/photos/7", Result::Matched, "pet", "/pets/{petId}/photos/{photoId}",
       "/pets/42/photos/7", ""},
      {"GET", "/pet/pets/42/extra", Result::NoApi, "", "", "", ""},
      // Only one trailing slash is ignored; "pets//" leaves an empty segment.
      {"GET", "/pet/pets//", Result::NoApi, "", "", "", ""},
      {"GET", "/pet/pets//1", Result::NoApi, "", "", "", ""},
      // A parameter never matches an empty value: not "", not only a ";param",
      // not a fragment (normalizeRequestTarget refuses these first; the table
      // does not rely on it).
      {"DELETE", "/pet/pets/;x", Result::NoApi, "", "", "", ""},
      {"GET", "/pet/pets/;", Result::NoApi, "", "", "", ""},
      {"DELETE", "/pet/pets/#", Result::NoApi, "", "", "", ""},
      {"PUT", "/pet/pets/;a/photos/7", Result::NoApi, "", "", "", ""},
      {"PUT", "/pet/pets/42/photos/", Result::NoApi, "", "", "", ""},
      {"DELETE", "/pet/pets/1;v=2", Result::Matched, "pet", "/pets/{petId}", "/pets/1;v=2", ""},
      // A literal segment beats a template.
      {"GET", "/pet/pets/mine", Result::Matched, "pet", "/pets/mine", "/pets/mine", ""},
      // The query string is kept for the backend and ignored for matching.
      {"GET", "/pet/pets?limit=2&q=/x", Result::Matched, "pet", "/pets", "/pets?limit=2&q=/x", ""},
      {"GET", "/pet/pets/mine?x=1", Result::Matched, "pet", "/pets/mine", "/pets/mine?x=1", ""},
      // A trailing slash matches the same operation and is passed on as sent.
      {"GET", "/pet/pets/", Result::Matched, "pet", "/pets", "/pets/", ""},
      // The API's root.
      {"GET", "/pet", Result::Matched, "pet", "/", "/", ""},
      {"GET", "/pet/", Result::Matched, "pet", "/", "/", ""},
      {"GET", "/pet?x=1", Result::Matched, "pet", "/", "/?x=1", ""},
      // Path exists, method does not: 405 with a sorted, de-duplicated list.
      {"PATCH", "/pet/pets/42", Result::MethodNotAllowed, "pet", "", "/pets/42", "DELETE, GET"},
      {"DELETE", "/pet/pets", Result::MethodNotAllowed, "pet", "", "/pets", "GET, POST"},
      // "mine" also matches {petId}: both operations' methods are allowed.
      {"POST", "/pet/pets/mine", Result::MethodNotAllowed, "pet", "", "/pets/mine", "DELETE, GET"},
      {"POST", "/petstore/inventory?a=b", Result::MethodNotAllowed, "petstore", "",
       "/inventory?a=b", "GET"},
      // Methods are case-sensitive tokens.
      {"get", "/pet/pets", Result::MethodNotAllowed, "pet", "", "/pets", "GET, POST"},
  };
  for (const MatchCase& c : cases) {
    SCOPED_TRACE(std::string(c.method) + " " + c.path);
    RouteMatch m = table->match(c.method, c.path);
    EXPECT_EQ(m.result, c.result);
    EXPECT_EQ(m.apiName(), c.api);
    if (c.result == Result::NoApi) {
      EXPECT_EQ(m.api, nullptr);
      EXPECT_EQ(m.operation, nullptr);
      continue;
    }
    ASSERT_NE(m.api, nullptr);
    EXPECT_EQ(m.upstream_path, c.upstream_path);
    EXPECT_EQ(m.allowed_methods, c.allowed);
    if (c.result == Result::Matched) {
      ASSERT_NE(m.operation, nullptr);
      EXPECT_EQ(m.operation->path_template, c.path_template);
      EXPECT_EQ(m.operation->method, c.method);
    } else {
      EXPECT_EQ(m.operation, nullptr);
    }
  }
}

TEST(RouteTable, ShorterBasePathTriedWhenLongerHasNoSuchPath) {
  std::vector<conf::ApiDefinition> apis;
  apis.push_back(api("outer", "/a", {op("GET", "/x")}));
  apis.push_back(api("inner", "/a/b", {op("GET", "/y")}));
  auto table = RouteTable::build(std::move(apis));
  ASSERT_TRUE(table.ok());
  RouteMatch m = (*table)->match("GET", "/a/b/y");
  EXPECT_EQ(m.apiName(), "inner");
  EXPECT_EQ(m.upstream_path, "/y");
  m = (*table)->match("GET", "/a/x");
  EXPECT_EQ(m.apiName(), "outer");
  EXPECT_EQ(m.result, Result::Matched);
}

TEST(RouteTable, SlashBasePathMatchesEverything) {
  std::vector<conf::ApiDefinition> apis;
  apis.push_back(api("root", "/", {op("GET", "/"), op("GET", "/health")}));
  apis.push_back(api("pet", "/pet", {op("GET", "/pets")}));
  auto table = RouteTable::build(std::move(apis));
  ASSERT_TRUE(table.ok());
  EXPECT_EQ((*table)->match("GET", "/health").apiName(), "root");
  EXPECT_EQ((*table)->match("GET", "/health").upstream_path, "/health");
  EXPECT_EQ((*table)->match("GET", "/").upstream_path, "/");
  EXPECT_EQ((*table)->match("GET", "/pet/pets").apiName(), "pet");
  EXPECT_EQ((*table)->match("GET", "/nothing").result, Result::NoApi);
}

TEST(RouteTable, LongestBasePathFirstRegardlessOfOrder) {
  std::vector<conf::ApiDefinition> apis;
  apis.push_back(api("short", "/a", {}));
  apis.push_back(api("long", "/a/b/c", {}));
  apis.push_back(api("mid", "/a/b", {}));
  auto table = RouteTable::build(std::move(apis));
  ASSERT_TRUE(table.ok());
  ASSERT_EQ((*table)->apis().size(), 3u);
  EXPECT_EQ((*table)->apis()[0]->api().title, "long");
  EXPECT_EQ((*table)->apis()[1]->api().title, "mid");
  EXPECT_EQ((*table)->apis()[2]->api().title, "short");
}

TEST(RouteTable, DuplicateBasePathIsAnError) {
  std::vector<conf::ApiDefinition> apis;
  apis.push_back(api("one", "/shop", {op("GET", "/a")}));
  apis.push_back(api("two", "/shop", {op("GET", "/b")}));
  auto table = RouteTable::build(std::move(apis));
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  std::string msg(table.status().message());
  EXPECT_NE(msg.find("one.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("two.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("'/shop'"), std::string::npos) << msg;
}

TEST(RouteTable, EndpointResourceOverride) {
  conf::Operation special = op("GET", "/special");
  special.endpoint = endpoint("special.backend");
  std::vector<conf::ApiDefinition> apis;
  apis.push_back(api("shop", "/shop", {op("GET", "/plain"), special}));
  auto table = RouteTable::build(std::move(apis));
  ASSERT_TRUE(table.ok());

  RouteMatch plain = (*table)->match("GET", "/shop/plain");
  ASSERT_EQ(plain.result, Result::Matched);
  ASSERT_EQ(plain.endpoint().urls.size(), 1u);
  EXPECT_EQ(plain.endpoint().urls[0].host, "shop.backend");

  RouteMatch over = (*table)->match("GET", "/shop/special");
  ASSERT_EQ(over.result, Result::Matched);
  ASSERT_EQ(over.endpoint().urls.size(), 1u);
  EXPECT_EQ(over.endpoint().urls[0].host, "special.backend");

  // No operation (405): the API's endpoint.
  RouteMatch nope = (*table)->match("POST", "/shop/special");
  ASSERT_EQ(nope.result, Result::MethodNotAllowed);
  EXPECT_EQ(nope.endpoint().urls[0].host, "shop.backend");
}

TEST(RouteTable, DisableSecurityInheritance) {
  // The loader copies the API's flag into each operation, which may override it.
  conf::ApiDefinition open = api("open", "/open", {});
  open.disable_security = true;
  conf::Operation inherited = op("GET", "/a");
  inherited.disable_security = true;
  conf::Operation secured = op("GET", "/b");
  secured.disable_security = false;
  open.operations = {inherited, secured};

  conf::ApiDefinition closed = api("closed", "/closed", {});
  conf::Operation opened = op("GET", "/c");
  opened.disable_security = true;
  closed.operations = {op("GET", "/a"), opened};

  std::vector<conf::ApiDefinition> apis;
  apis.push_back(std::move(open));
  apis.push_back(std::move(closed));
  auto table = RouteTable::build(std::move(apis));
  ASSERT_TRUE(table.ok());
  const RouteTable& t = **table;

  EXPECT_TRUE(t.match("GET", "/open/a").disableSecurity());
  EXPECT_FALSE(t.match("GET", "/open/b").disableSecurity());
  EXPECT_TRUE(t.match("POST", "/open/a").disableSecurity());  // 405: the API's flag
  EXPECT_FALSE(t.match("GET", "/closed/a").disableSecurity());
  EXPECT_TRUE(t.match("GET", "/closed/c").disableSecurity());
  EXPECT_FALSE(t.match("POST", "/closed/c").disableSecurity());
  EXPECT_FALSE(t.match("GET", "/nowhere").disableSecurity());  // no API
}

TEST(RouteTable, EmptyTableMatchesNothing) {
  auto table = RouteTable::build({});
  ASSERT_TRUE(table.ok());
  RouteMatch m = (*table)->match("GET", "/");
  EXPECT_EQ(m.result, Result::NoApi);
  EXPECT_EQ(m.apiName(), "");
}

TEST(RouteTable, RoundRobinIndex) {
  auto table = petTable();
  const ApiRoute& r = *table->apis()[0];
  std::vector<size_t> seen;
  for (int i = 0; i < 4; ++i) seen.push_back(r.nextEndpointIndex(3));
  EXPECT_EQ(seen, (std::vector<size_t>{0, 1, 2, 0}));
  EXPECT_EQ(r.nextEndpointIndex(0), 0u);
}

struct SplitCase {
  const char* path;
  std::vector<std::string> segments;
};

TEST(SplitPath, Table) {
  const SplitCase cases[] = {
      {"", {}},
      {"/", {}},
      {"/a", {"a"}},
      {"/a/", {"a"}},
      {"/a/b/c", {"a", "b", "c"}},
      {"a/b", {"a", "b"}},
      {"/a//b", {"a", "", "b"}},
      {"//", {}},
      {"/a//", {"a", ""}},
  };
  for (const SplitCase& c : cases) {
    std::vector<std::string> got;
    for (std::string_view s : splitPath(c.path)) got.emplace_back(s);
    EXPECT_EQ(got, c.segments) << "'" << c.path << "'";
  }
}

}  // namespace
}  // namespace gw::router
