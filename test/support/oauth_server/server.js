// Test-only OAuth 2.0 key manager for the microgw integration tests.
//
// Wraps oidc-provider (client_credentials, resource indicators with RS256 JWT
// access tokens, opaque tokens, introspection, revocation) and adds a few
// loopback-only /admin endpoints that tests use to rotate keys, craft tokens
// and simulate outages. See README.md beside this file.
//
// Usage: node server.js --port N [--host 127.0.0.1] [--issuer URL]
//                       [--config FILE] [--state DIR]
// Environment fallbacks: OAUTH_PORT, OAUTH_HOST, OAUTH_ISSUER, OAUTH_CONFIG, OAUTH_STATE.

import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { parseArgs } from 'node:util';

import Provider, { errors } from 'oidc-provider';

const DEFAULT_CONFIG = {
  clients: [
    { client_id: 'mgw-app', client_secret: 'mgw-app-secret-test-only', scope: 'read write admin' },
    { client_id: 'mgw-gateway', client_secret: 'mgw-gateway-secret-test-only', scope: 'read' },
  ],
  resources: {
    'http://api.microgw.test/': { scope: 'read write admin', ttl: 600 },
    'http://other.microgw.test/': { scope: 'read write', ttl: 600 },
  },
  opaque_ttl: 600,
  keep_old_keys: true,
  key_bits: 2048,
};

function parseOptions() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      issuer: { type: 'string' },
      config: { type: 'string' },
      state: { type: 'string' },
    },
  });
  const port = Number(values.port ?? process.env.OAUTH_PORT);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    throw new Error('oauth_server: --port (or OAUTH_PORT) must be a TCP port number');
  }
  const host = values.host ?? process.env.OAUTH_HOST ?? '127.0.0.1';
  return {
    port,
    host,
    issuer: values.issuer ?? process.env.OAUTH_ISSUER ?? `http://${host}:${port}`,
    configPath: values.config ?? process.env.OAUTH_CONFIG,
    stateDir: values.state ?? process.env.OAUTH_STATE,
  };
}

function loadConfig(configPath) {
  if (!configPath || !fs.existsSync(configPath)) return { ...DEFAULT_CONFIG };
  return { ...DEFAULT_CONFIG, ...JSON.parse(fs.readFileSync(configPath, 'utf8')) };
}

// Signing keys: { current: kid, keys: [private JWK, ...] } (keys[] = published ones).
class KeyRing {
  constructor(stateDir, bits) {
    this.file = stateDir ? path.join(stateDir, 'keys.json') : undefined;
    this.bits = bits;
    this.serial = 0;
    if (this.file && fs.existsSync(this.file)) {
      Object.assign(this, JSON.parse(fs.readFileSync(this.file, 'utf8')));
    } else {
      this.keys = [];
      this.rotate(false);
    }
  }

  newKey() {
    this.serial += 1;
    const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: this.bits });
    const jwk = privateKey.export({ format: 'jwk' });
    const kid = `mgw-test-${this.serial}-${crypto.randomBytes(4).toString('hex')}`;
    return { ...jwk, kid, alg: 'RS256', use: 'sig' };
  }

  rotate(keepOld) {
    const key = this.newKey();
    this.keys = keepOld ? [key, ...this.keys] : [key];
    this.current = key.kid;
    this.save();
    return key;
  }

  save() {
    if (!this.file) return;
    const { current, keys, serial } = this;
    fs.writeFileSync(this.file, JSON.stringify({ current, keys, serial }, null, 2), { mode: 0o600 });
  }

  find(kid) {
    return this.keys.find((k) => k.kid === (kid ?? this.current));
  }
}

// Token store shared by every provider instance of this process (a key rotation
// builds a new instance) and written through to <state>/store.json, so opaque
// tokens and revocations survive both a rotation and a restart.
class Store {
  constructor(stateDir) {
    this.file = stateDir ? path.join(stateDir, 'store.json') : undefined;
    this.entries = new Map();
    if (this.file && fs.existsSync(this.file)) {
      this.entries = new Map(Object.entries(JSON.parse(fs.readFileSync(this.file, 'utf8'))));
    }
  }

  get(key) {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt && entry.expiresAt <= Date.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(key, payload, expiresIn) {
    this.entries.set(key, { payload, expiresAt: expiresIn ? Date.now() + expiresIn * 1000 : 0 });
    this.save();
  }

  delete(key) {
    this.entries.delete(key);
    this.save();
  }

  save() {
    if (this.file) fs.writeFileSync(this.file, JSON.stringify(Object.fromEntries(this.entries)));
  }

  // The oidc-provider adapter interface, one instance per model name.
  adapterFactory() {
    const store = this;
    return class {
      constructor(model) { this.model = model; }

      key(id) { return `${this.model}:${id}`; }

      async upsert(id, payload, expiresIn) { store.set(this.key(id), payload, expiresIn); }

      async find(id) { return store.get(this.key(id)); }

      async findByUid() { return undefined; }

      async findByUserCode() { return undefined; }

      async consume(id) {
        const payload = store.get(this.key(id));
        if (payload) store.set(this.key(id), { ...payload, consumed: Math.floor(Date.now() / 1000) });
      }

      async destroy(id) { store.delete(this.key(id)); }

      async revokeByGrantId(grantId) {
        for (const [key, entry] of store.entries) {
          if (entry.payload.grantId === grantId) store.delete(key);
        }
      }
    };
  }
}

function allScopes(config) {
  const scopes = new Set();
  for (const c of config.clients) for (const s of (c.scope ?? '').split(' ')) if (s) scopes.add(s);
  for (const r of Object.values(config.resources)) {
    for (const s of (r.scope ?? '').split(' ')) if (s) scopes.add(s);
  }
  return [...scopes];
}

function providerConfiguration(config, keys, adapter) {
  return {
    adapter,
    clients: config.clients.map((c) => ({
      client_id: c.client_id,
      client_secret: c.client_secret,
      scope: c.scope,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    })),
    jwks: { keys: keys.keys },
    scopes: allScopes(config),
    cookies: { keys: ['mgw-test-cookie-key'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      // Any confidential client may revoke any token (the gateway's client included).
      revocation: { enabled: true, allowedPolicy: async () => true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async (ctx, client, oneOf) => oneOf,
        useGrantedResource: async () => false,
        getResourceServerInfo: async (ctx, resource) => {
          const info = config.resources[resource];
          if (!info) throw new errors.InvalidTarget(`unknown resource ${resource}`);
          return {
            scope: info.scope,
            audience: info.audience ?? resource,
            accessTokenTTL: info.ttl ?? 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'RS256', kid: keys.current } },
          };
        },
      },
    },
    ttl: {
      ClientCredentials: (ctx, token) => token.resourceServer?.accessTokenTTL ?? config.opaque_ttl,
    },
  };
}

function b64url(data) {
  return Buffer.from(data).toString('base64url');
}

// Signs an arbitrary JWT with one of the provider's keys (for negative tests).
// Payload members default to a valid token; a member set to null is left out.
function signJwt(issuer, keys, body) {
  const key = keys.find(body.kid);
  if (!key) throw new Error(`no key with kid ${body.kid}`);
  const now = Math.floor(Date.now() / 1000);
  const defaults = {
    iss: issuer, iat: now, exp: now + 600, jti: crypto.randomUUID(), client_id: 'mgw-app', sub: 'mgw-app',
  };
  const payload = { ...defaults, ...(body.payload ?? {}) };
  const header = { alg: 'RS256', typ: 'at+jwt', kid: key.kid, ...(body.header ?? {}) };
  for (const obj of [payload, header]) {
    for (const k of Object.keys(obj)) if (obj[k] === null) delete obj[k];
  }
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  const privateKey = crypto.createPrivateKey({ key, format: 'jwk' });
  const signature = crypto.sign('sha256', Buffer.from(input), privateKey);
  return `${input}.${signature.toString('base64url')}`;
}

function publicPem(key) {
  return crypto.createPublicKey({ key, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text ? JSON.parse(text) : {});
      } catch (e) {
        reject(e);
      }
    });
    req.on('error', reject);
  });
}

function sendJson(res, status, body) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

class Server {
  constructor(options) {
    this.options = options;
    this.config = loadConfig(options.configPath);
    if (options.stateDir) fs.mkdirSync(options.stateDir, { recursive: true });
    this.keys = new KeyRing(options.stateDir, this.config.key_bits);
    this.adapter = new Store(options.stateDir).adapterFactory();
    this.outages = new Map(); // path -> HTTP status
    this.counts = {}; // path -> requests seen
    this.buildProvider();
  }

  buildProvider() {
    // Tokens live in the shared Store, so those of the previous instance stay valid.
    this.provider = new Provider(this.options.issuer, providerConfiguration(this.config, this.keys, this.adapter));
    this.provider.on('server_error', (ctx, err) => console.error('oauth_server: server_error', err));
    this.handler = this.provider.callback();
  }

  keysInfo() {
    const key = this.keys.find();
    return { current_kid: this.keys.current, kids: this.keys.keys.map((k) => k.kid), public_pem: publicPem(key) };
  }

  async admin(req, res, route) {
    const body = req.method === 'POST' ? await readBody(req) : {};
    switch (route) {
      case '/admin/keys':
        return sendJson(res, 200, this.keysInfo());
      case '/admin/rotate': {
        const previous = this.keys.current;
        this.keys.rotate(body.keep_old ?? this.config.keep_old_keys);
        this.buildProvider();
        console.log(`oauth_server: rotated signing key ${previous} -> ${this.keys.current}`);
        return sendJson(res, 200, { previous_kid: previous, ...this.keysInfo() });
      }
      case '/admin/sign':
        return sendJson(res, 200, { token: signJwt(this.options.issuer, this.keys, body) });
      case '/admin/outage':
        this.outages = new Map(Object.entries(body.paths ?? {}));
        return sendJson(res, 200, { paths: Object.fromEntries(this.outages) });
      case '/admin/stats':
        return sendJson(res, 200, { counts: this.counts });
      default:
        return sendJson(res, 404, { error: 'not_found', error_description: `no admin route ${route}` });
    }
  }

  handle(req, res) {
    const route = new URL(req.url, 'http://x').pathname;
    if (route.startsWith('/admin/')) {
      this.admin(req, res, route).catch((e) => sendJson(res, 400, { error: 'bad_request', error_description: String(e.message) }));
      return;
    }
    this.counts[route] = (this.counts[route] ?? 0) + 1;
    const outage = this.outages.get(route);
    if (outage) {
      sendJson(res, Number(outage), { error: 'temporarily_unavailable', error_description: 'simulated outage' });
      return;
    }
    this.handler(req, res);
  }

  listen() {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.listen(this.options.port, this.options.host, () => {
      console.log(`oauth_server: listening on ${this.options.host}:${this.options.port}, issuer ${this.options.issuer}, kid ${this.keys.current}`);
    });
    const stop = () => {
      server.close(() => process.exit(0));
      server.closeAllConnections();
    };
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    return server;
  }
}

new Server(parseOptions()).listen();
