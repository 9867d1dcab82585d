#include "gateway/server/server.h"

#include <event2/event.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <ctime>
#include <optional>
#include <thread>

#include "absl/strings/str_join.h"
#include "conf/loader.h"
#include "conf/suggest.h"
#include "filters/token_revocation/revocation_service.h"
#include "gateway/common/log.h"
#include "gateway/discovery/discovery_service.h"
#include "gateway/http/filter_registry.h"
#include "gateway/server/access_log.h"
#include "gateway/server/admin.h"
#include "gateway/server/chain_checks.h"
#include "gateway/server/reload.h"
#include "gateway/server/worker.h"
#include "gateway/tls/server_context.h"

namespace gw::server {
namespace {

absl::StatusOr<YAML::Node> parseFilterConfig(const conf::FilterEntry& entry) {
  try {
    return entry.config_yaml.empty() ? YAML::Node() : YAML::Load(entry.config_yaml);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(e.what());
  }
}

// The exception boundary at filter creation: a factory that lets a yaml-cpp
// exception (a value of the wrong type read with as<T>()) or any other escape
// becomes a start-up error instead of aborting the process. yaml-cpp's
// messages name no value ("bad conversion"); other exceptions' texts are not
// shown (they may quote the input).
absl::StatusOr<http::FilterFactoryCb> callFactory(const http::FilterConfigFactory& factory,
                                                  const YAML::Node& node,
                                                  const http::FactoryContext& ctx) {
  constexpr char kFix[] =
      "; check the types of the entry's config keys against the filter's documentation";
  try {
    return factory(node, ctx);
  } catch (const YAML::Exception& e) {
    const std::string at =
        e.mark.is_null() ? "" : gw::cat(" at line ", e.mark.line + 1, " of the entry's config");
    return absl::InvalidArgumentError(
        gw::cat("config: a value has the wrong type (", e.msg, at, ")", kFix));
  } catch (const std::exception&) {
    return absl::InvalidArgumentError(gw::cat("config: cannot be read", kFix));
  } catch (...) {
    return absl::InvalidArgumentError(gw::cat("config: cannot be read", kFix));
  }
}

// A listening socket for one worker; every worker binds the same address with
// SO_REUSEPORT so the kernel balances accepted connections between them. The
// `first` binds without SO_REUSEPORT and sets it only once bound: if another
// process (another microgw) already listens on the port, that bind fails
// instead of silently sharing the port's traffic with it.
absl::StatusOr<int> bindListener(const std::string& host, uint16_t port, bool first,
                                 const char* port_key = "httpPort") {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string port_text = std::to_string(port);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port_text.c_str(), &hints, &res);
  if (rc != 0) {
    return absl::InvalidArgumentError(
        gw::cat("listenerConfig.host '", host, "' does not resolve: ", gai_strerror(rc)));
  }
  int fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (!first) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  const bool bound = bind(fd, res->ai_addr, res->ai_addrlen) == 0;
  if (bound && first) setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
  if (!bound || listen(fd, 1024) != 0) {
    const int error = errno;
    freeaddrinfo(res);
    close(fd);
    return absl::UnavailableError(gw::cat(
        "cannot listen on ", host, ":", port, ": ", std::strerror(error),
        error == EADDRINUSE ? " (another process, maybe another microgw, listens there)" : "",
        "; change listenerConfig.", port_key, " or host, or stop the other process"));
  }
  freeaddrinfo(res);
  return fd;
}

// "127.0.0.1:3128 (micro-gw.conf)", or per scheme when they differ. No credentials.
std::string describeProxy(const conf::HttpClientsConfig& hc) {
  auto one = [](const conf::ProxyConfig& p) {
    return p.enabled
               ? gw::cat(p.host, ":", p.port, p.source.empty() ? "" : gw::cat(" (", p.source, ")"))
               : std::string("off");
  };
  if (!hc.plain_http_proxy) return one(hc.proxy);
  return gw::cat("https targets ", one(hc.proxy), ", http targets ", one(*hc.plain_http_proxy));
}

}  // namespace

absl::StatusOr<std::vector<http::FilterFactoryCb>> buildFilterChain(
    const conf::FilterChainConfig& chain, const conf::Config& config, stats::Store& stats,
    const router::RouteTable* routes) {
  http::FilterRegistry& registry = http::FilterRegistry::instance();
  if (!registry.duplicates().empty()) {
    return absl::InternalError(gw::cat("filters registered twice under the same name: ",
                                       absl::StrJoin(registry.duplicates(), ", ")));
  }
  if (chain.filters.empty() || chain.filters.back().name != "router") {
    return absl::InvalidArgumentError(gw::cat(
        chain.file, ": the filter chain must end with `router` (the terminal upstream filter)"));
  }
  std::vector<http::FilterFactoryCb> out;
  http::FactoryContext ctx{config, stats, routes, {}};
  for (const conf::FilterEntry& entry : chain.filters) ctx.chain_names.push_back(entry.name);
  for (const conf::FilterEntry& entry : chain.filters) {
    std::string where = gw::cat(chain.file, ": filters[", entry.index, "] '", entry.name, "'");
    if (entry.name == "router" && &entry != &chain.filters.back()) {
      return absl::InvalidArgumentError(gw::cat(where, ": `router` must be the last filter"));
    }
    const http::FilterConfigFactory* factory = registry.find(entry.name);
    if (factory == nullptr) {
      std::string hint = conf::closestMatch(entry.name, registry.names());
      return absl::InvalidArgumentError(gw::cat(
          where, ": unknown filter", hint.empty() ? "" : gw::cat(" (did you mean '", hint, "'?)"),
          "; compiled-in filters: ", absl::StrJoin(registry.names(), ", ")));
    }
    absl::StatusOr<YAML::Node> node = parseFilterConfig(entry);
    if (!node.ok())
      return absl::InvalidArgumentError(gw::cat(where, ": ", node.status().message()));
    absl::StatusOr<http::FilterFactoryCb> cb = callFactory(*factory, *node, ctx);
    if (!cb.ok()) return absl::InvalidArgumentError(gw::cat(where, ": ", cb.status().message()));
    out.push_back(std::move(*cb));
  }
  return out;
}

absl::StatusOr<RuntimeConstSharedPtr> loadRuntime(const Options& options, stats::Store& stats) {
  conf::Environment env = conf::Environment::system();
  env.runtime_home = options.runtime_home;
  absl::StatusOr<conf::Config> config = conf::loadConfig(options.conf_path, env);
  if (!config.ok()) return config.status();
  if (absl::Status s = conf::applyEtcdFlags(options.etcd_flags, config->etcd); !s.ok()) return s;
  for (const std::string& w : config->warnings) GW_LOG_WARN(w);
  absl::StatusOr<std::vector<conf::ApiDefinition>> apis = conf::loadApis(options.apis_dir);
  if (!apis.ok()) return apis.status();
  for (const conf::ApiDefinition& api : *apis) {
    for (const std::string& w : api.warnings) GW_LOG_WARN(w);
  }
  absl::StatusOr<conf::FilterChainConfig> chain = conf::loadFilterChain(config->chain_file);
  if (!chain.ok()) return chain.status();
  auto runtime = std::make_shared<Runtime>();
  runtime->trust_store_digest = fileDigest(config->http_clients.trust_store_path);
  runtime->config = std::make_shared<const conf::Config>(std::move(*config));
  auto routes = router::RouteTable::build(std::move(*apis));
  if (!routes.ok()) return routes.status();
  runtime->routes = std::move(*routes);
  completeBuiltinChain(*runtime->config, *runtime->routes, *chain);
  auto factories = buildFilterChain(*chain, *runtime->config, stats, runtime->routes.get());
  if (!factories.ok()) return factories.status();
  runtime->filter_factories = std::move(*factories);
  warnAboutMissingFilters(*runtime->config, *runtime->routes, *chain);
  discovery::warnIfDiscoveryOff(runtime->config->etcd, *runtime->routes);
  runtime->chain = std::move(*chain);
  return RuntimeConstSharedPtr(std::move(runtime));
}

namespace {

// The running gateway: workers, the main thread's dispatcher (admin listener,
// signals, configuration reloads, access-log flushing, drain supervision).
// Main thread only.
class Server {
 public:
  Server(RuntimeConstSharedPtr runtime, stats::Store& stats, const Options& options)
      : runtime_(std::move(runtime)),
        startup_(runtime_),
        config_(*startup_->config),
        stats_(stats),
        options_(options),
        reloads_ok_(stats.counter(kReloads, kReloadsHelp, {{"result", "success"}})),
        reloads_failed_(stats.counter(kReloads, kReloadsHelp, {{"result", "failure"}})) {
    // Caught from now on (the admin listener, which tells a supervisor the
    // gateway is up, opens in start()), handled once run() runs the loop.
    addSignal(SIGTERM);
    addSignal(SIGINT);
    addSignal(SIGHUP);
  }

  ~Server() {
    for (::event* e : signals_) event_free(e);
  }

  // Opens the access log, binds every worker's listener and the admin
  // listener, and starts the workers. Returns the exit code on failure.
  std::optional<int> start();

  // Serves until a signal and the drain that follows; then stops the workers.
  void run();

 private:
  static constexpr const char* kReloads = "microgw_config_reloads_total";
  static constexpr const char* kReloadsHelp = "Configuration reloads (SIGHUP) by result.";

  static void onSignal(evutil_socket_t sig, short, void* arg) {
    auto* self = static_cast<Server*>(arg);
    if (sig == SIGHUP) {
      self->reload();
    } else {
      self->beginDrain(static_cast<int>(sig));
    }
  }
  void reload();
  void beginDrain(int sig);
  void pollDrained();
  void flushAccessLog();
  void addSignal(int sig);
  void restartDiscoveryIfChanged(bool upstream_changed);
  absl::StatusOr<RuntimeConstSharedPtr> withTlsContext(RuntimeConstSharedPtr runtime);
  std::string describeListeners() const;

  RuntimeConstSharedPtr runtime_;  // the current snapshot; replaced by each reload
  // The snapshot the process started with: its listener address, worker count,
  // admin listener and access log stay in force until a restart.
  const RuntimeConstSharedPtr startup_;
  const conf::Config& config_;
  stats::Store& stats_;
  const Options options_;
  stats::Counter& reloads_ok_;
  stats::Counter& reloads_failed_;
  std::unique_ptr<AccessLog> access_log_;
  std::vector<std::unique_ptr<Worker>> workers_;
  event::DispatcherPtr main_ = event::createDispatcher("main");
  std::atomic<bool> ready_{false};
  std::unique_ptr<AdminServer> admin_;
  std::unique_ptr<filters::token_revocation::RevocationService> revocation_;
  std::unique_ptr<discovery::DiscoveryService> discovery_;  // etcd(...) endpoints
  bool draining_ = false;
  event::TimerPtr flush_timer_;
  event::TimerPtr poll_timer_;
  event::TimerPtr deadline_;
  std::vector<::event*> signals_;
  // Session-ticket keys, shared by every TLS context this process builds so
  // that clients resume across workers and certificate reloads.
  std::shared_ptr<tls::TicketKeyRing> ticket_keys_ = std::make_shared<tls::TicketKeyRing>();
};

// The TLS listener's context for `runtime` when the listener is on (it was
// on at start-up: its port cannot open later), with a warning for a
// certificate outside its validity dates.
absl::StatusOr<RuntimeConstSharedPtr> Server::withTlsContext(RuntimeConstSharedPtr runtime) {
  const conf::ListenerConfig& listener = runtime->config->listener;
  if (!config_.listener.tls.enabled()) return runtime;
  auto copy = std::make_shared<Runtime>(*runtime);
  if (!listener.tls.enabled()) {
    // Turning the listener off is a restart-only change (warned): until then
    // it keeps its key.
    copy->tls_context = runtime_->tls_context;
    return RuntimeConstSharedPtr(std::move(copy));
  }
  absl::StatusOr<tls::ServerContextPtr> context = tls::ServerContext::create(
      listener.tls, listener.trust_store_path, listener.trust_store_password, ticket_keys_,
      runtime->config->http2.enable);
  if (!context.ok()) return context.status();
  const std::string warning = (*context)->validityWarning(std::time(nullptr));
  if (!warning.empty()) GW_LOG_WARN(warning);
  copy->tls_context = std::move(*context);
  return RuntimeConstSharedPtr(std::move(copy));
}

std::string Server::describeListeners() const {
  const conf::ListenerConfig& l = config_.listener;
  std::string out = gw::cat(l.host, ":", l.http_port);
  if (runtime_->tls_context) {
    out += gw::cat(" and TLS on ", l.host, ":", l.tls.https_port, " (certificate ",
                   runtime_->tls_context->describeCertificate(), ")");
  }
  return out;
}

std::optional<int> Server::start() {
  auto access_log = AccessLog::open(config_.access_log);
  if (!access_log.ok()) {
    GW_LOG_ERROR(access_log.status().message());
    return 2;
  }
  access_log_ = std::move(*access_log);
  absl::StatusOr<RuntimeConstSharedPtr> with_tls = withTlsContext(runtime_);
  if (!with_tls.ok()) {
    GW_LOG_ERROR("TLS listener: ", with_tls.status().message());
    return 2;
  }
  runtime_ = std::move(*with_tls);
  int count = config_.listener.workers > 0 ? config_.listener.workers
                                           : std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<int> fd =
        bindListener(config_.listener.host, config_.listener.http_port, /*first=*/i == 0);
    if (!fd.ok()) {
      GW_LOG_ERROR(fd.status().message());
      return 1;
    }
    absl::StatusOr<int> tls_fd = -1;
    if (runtime_->tls_context) {
      tls_fd = bindListener(config_.listener.host, config_.listener.tls.https_port,
                            /*first=*/i == 0, "httpsPort");
      if (!tls_fd.ok()) {
        close(*fd);
        GW_LOG_ERROR(tls_fd.status().message());
        return 1;
      }
    }
    workers_.push_back(std::make_unique<Worker>(i, runtime_, stats_, *access_log_, *fd, *tls_fd));
  }
  if (config_.admin.enabled) {
    admin_ = std::make_unique<AdminServer>(*main_, stats_, ready_);
    if (absl::Status s = admin_->listen(config_.admin, config_.listener); !s.ok()) {
      GW_LOG_ERROR(s.message());
      return 1;
    }
  }
  for (auto& w : workers_) w->start();
  // Revoked tokens from etcd, on their own thread; etcd may still be down.
  revocation_ = filters::token_revocation::RevocationService::start(config_.token_revocation,
                                                                    config_.http_clients, stats_);
  discovery_ = discovery::DiscoveryService::start(
      config_.etcd, discovery::etcdKeys(*runtime_->routes), config_.http_clients, stats_);
  ready_ = true;
  GW_LOG_INFO("microgw listening on ", describeListeners(), " with ", count, " workers; ",
              runtime_->routes->apis().size(), " APIs; admin on ",
              config_.admin.enabled ? gw::cat(config_.admin.host, ":", config_.admin.port) : "off",
              "; backend proxy ", describeProxy(config_.http_clients));
  return std::nullopt;
}

void Server::run() {
  flush_timer_ = main_->createTimer([this] { flushAccessLog(); });
  flush_timer_->enable(std::chrono::milliseconds(500));
  poll_timer_ = main_->createTimer([this] { pollDrained(); });
  deadline_ = main_->createTimer([this] {
    GW_LOG_WARN("drain timeout (listenerConfig.drainTimeoutInMillis) reached; closing ",
                "remaining connections");
    for (auto& w : workers_) w->stop();
    main_->exit();
  });
  main_->run();
  for (auto& w : workers_) w->stop();
  for (auto& w : workers_) w->join();
  workers_.clear();
  revocation_.reset();
  discovery_.reset();
  access_log_->flush();
  GW_LOG_INFO("microgw stopped");
}

void Server::addSignal(int sig) {
  ::event* e = evsignal_new(main_->base(), sig, &Server::onSignal, this);
  evsignal_add(e, nullptr);
  signals_.push_back(e);
}

// Stop accepting, let in-flight requests finish, and exit once every
// connection is gone or the drain timeout passes.
void Server::beginDrain(int sig) {
  if (draining_) return;
  draining_ = true;
  ready_ = false;
  const uint32_t drain_ms = runtime_->config->listener.drain_timeout_ms;
  GW_LOG_INFO("signal ", sig, ": draining (up to ", drain_ms, " ms)");
  for (auto& w : workers_) w->drain();
  deadline_->enable(std::chrono::milliseconds(drain_ms));
  poll_timer_->enable(std::chrono::milliseconds(20));
}

// Loads everything again; a valid result serves new requests (each worker
// swaps it in on its own thread), an invalid one is refused and logged.
void Server::reload() {
  if (draining_) {
    GW_LOG_INFO("SIGHUP ignored: the gateway is draining");
    return;
  }
  GW_LOG_INFO("SIGHUP: reloading ", options_.conf_path, ", the API folder ", options_.apis_dir,
              " and the filter chain");
  absl::StatusOr<RuntimeConstSharedPtr> next = loadRuntime(options_, stats_);
  if (next.ok()) next = withTlsContext(std::move(*next));
  if (!next.ok()) {
    reloads_failed_.inc();
    GW_LOG_ERROR("configuration reload refused: configuration error: ", next.status().message(),
                 "; still serving the previous configuration");
    return;
  }
  for (const std::string& change : restartOnlyChanges(config_, *(*next)->config)) {
    GW_LOG_WARN("reload: ", change, "; still listening on ", config_.listener.host, ":",
                config_.listener.http_port, " with the start-up listener settings");
  }
  RuntimeDiff diff = diffRuntimes(*runtime_, **next);
  if ((*next)->tls_context) {
    GW_LOG_INFO("TLS listener: new handshakes use ", (*next)->tls_context->source(), " (",
                (*next)->tls_context->describeCertificate(),
                "); connections already open keep their session");
  }
  runtime_ = std::move(*next);
  restartDiscoveryIfChanged(diff.upstream_changed);
  for (auto& w : workers_) w->updateRuntime(runtime_, diff.upstream_changed);
  reloads_ok_.inc();
  GW_LOG_INFO("configuration reloaded: ", describeDiff(diff), "; serving ",
              runtime_->routes->apis().size(), " APIs; backend proxy ",
              describeProxy(runtime_->config->http_clients));
}

// A reload that changes the etcd keys or settings, or the proxy and TLS
// settings its client uses, starts a new watcher; the URLs etcd gave so far
// keep serving until it has read them again.
void Server::restartDiscoveryIfChanged(bool upstream_changed) {
  const conf::Config& next = *runtime_->config;
  std::vector<std::string> keys = discovery::etcdKeys(*runtime_->routes);
  const bool same =
      discovery_ ? discovery::sameEtcd(discovery_->etcd(), next.etcd) && discovery_->keys() == keys
                 : !next.etcd.enabled() || keys.empty();
  if (same && !(discovery_ && upstream_changed)) return;
  GW_LOG_INFO(
      "reload: the etcd settings, the etcd keys of the APIs or the proxy changed; service "
      "discovery follows them anew");
  discovery_.reset();
  discovery_ =
      discovery::DiscoveryService::start(next.etcd, std::move(keys), next.http_clients, stats_);
}

void Server::pollDrained() {
  size_t open = 0;
  for (auto& w : workers_) open += w->activeConnections();
  if (open == 0) {
    main_->exit();
    return;
  }
  poll_timer_->enable(std::chrono::milliseconds(20));
}

void Server::flushAccessLog() {
  access_log_->flush();
  flush_timer_->enable(std::chrono::milliseconds(500));
}

}  // namespace

int serve(RuntimeConstSharedPtr runtime, stats::Store& stats, const Options& options) {
  signal(SIGPIPE, SIG_IGN);
  Server server(std::move(runtime), stats, options);
  if (std::optional<int> failed = server.start()) return *failed;
  server.run();
  return 0;
}

}  // namespace gw::server
