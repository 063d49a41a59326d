'use strict';
/**
 * mcp-egress preload for Node MCP servers started by `mcp-egress wrap` (NODE_OPTIONS=--require <this>).
 * Node 20 ignores HTTPS_PROXY: without this, neither global fetch nor the http/https modules would use
 * the proxy. It routes both through HTTP(S)_PROXY, honouring NO_PROXY, and adds the launch attestation
 * (MCP_EGRESS_LAUNCH, set by wrap) to what the proxy receives as `Proxy-Mcp-Egress-Launch` — a Proxy-*
 * header, so the proxy drops it before anything goes upstream. The proxy CA is trusted through
 * NODE_EXTRA_CA_CERTS, which wrap sets (Node adds it to the roots of every TLS connection it makes).
 *
 * It runs inside someone else's process, before their code: plain CommonJS (no build step), it never
 * throws, and it never writes to stdout (stdout is the MCP channel). Its dependencies resolve from the
 * mcp-egress package, not from the server's.
 */
const { EventEmitter } = require('node:events');
const http = require('node:http');
const https = require('node:https');

const LAUNCH_HEADER = 'proxy-mcp-egress-launch';
const LAUNCH_MAX = 256;
const INSTALLED = Symbol.for('mcp-egress.preload.installed');
// The symbols undici (Node's bundled copy and the npm package, v5 to v7) reads its global dispatcher from.
const DISPATCHER_SYMBOLS = [Symbol.for('undici.globalDispatcher.1'), Symbol.for('undici.globalDispatcher.2')];

/** NO_PROXY as undici reads it: entries split on commas and spaces, `host` or `host:port`, `.x`/`*.x` as `x`. */
function parseNoProxy(value) {
  const text = String(value || '').trim();
  if (text === '*') return { all: true, entries: [] };
  const entries = [];
  for (const raw of text.split(/[,\s]/)) {
    if (!raw) continue;
    const withPort = /^(.+):(\d+)$/.exec(raw);
    const host = withPort && !isBareIpv6(raw) ? withPort[1] : raw;
    entries.push({ host: bare(host).replace(/^\*?\./, '').toLowerCase(), port: withPort && !isBareIpv6(raw) ? Number(withPort[2]) : 0 });
  }
  return { all: false, entries };
}

/** `::1` in NO_PROXY is an address, not host `:` port `1`. */
function isBareIpv6(text) {
  return !text.startsWith('[') && text.split(':').length > 2;
}

function bare(host) {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/** True when a request to host:port goes through the proxy: no NO_PROXY entry names it or a parent domain. */
function shouldProxy(noProxy, hostname, port) {
  if (noProxy.all) return false;
  const host = bare(String(hostname)).toLowerCase().replace(/\.$/, '');
  for (const entry of noProxy.entries) {
    if (entry.port && entry.port !== port) continue;
    if (host === entry.host || host.endsWith(`.${entry.host}`)) return false;
  }
  return true;
}

/** The proxy for a scheme, as undici picks it: lower-case variable first; https falls back to the http proxy. */
function proxyUrlFor(env, secure) {
  const httpProxy = env.http_proxy || env.HTTP_PROXY || '';
  const httpsProxy = env.https_proxy || env.HTTPS_PROXY || '';
  return (secure ? httpsProxy || httpProxy : httpProxy) || null;
}

/** The attestation header, or none: wrap percent-encodes it, so anything but short printable ASCII is not its. */
function launchHeaders(env) {
  const value = env.MCP_EGRESS_LAUNCH;
  if (typeof value !== 'string' || value.length === 0 || value.length > LAUNCH_MAX) return {};
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x21 || c > 0x7e) return {};
  }
  return { [LAUNCH_HEADER]: value };
}

/**
 * Global fetch: a dispatcher on undici's global symbols (Node's bundled fetch reads them on every call).
 * It loads undici on first use: undici takes ~100 ms to load, and NODE_OPTIONS puts this preload into
 * every Node process under the server (npm, helpers) that may never fetch. A fresh headers object per
 * ProxyAgent: undici adds the proxy credential to the object it is given.
 */
class LazyRoutingDispatcher extends EventEmitter {
  constructor(settings) {
    super();
    this.settings = settings;
    this.routes = null;
  }

  build() {
    const { Agent, ProxyAgent } = require('undici');
    const { env, noProxy, headers } = this.settings;
    const direct = new Agent();
    const proxied = (secure) => {
      const uri = proxyUrlFor(env, secure);
      return uri ? new ProxyAgent({ uri, headers: { ...headers } }) : direct;
    };
    return { direct, http: proxied(false), https: proxied(true), noProxy };
  }

  pick(origin) {
    this.routes = this.routes || this.build();
    const url = new URL(String(origin));
    const secure = url.protocol === 'https:' || url.protocol === 'wss:';
    const port = Number(url.port) || (secure ? 443 : 80);
    if (!shouldProxy(this.routes.noProxy, url.hostname, port)) return this.routes.direct;
    return secure ? this.routes.https : this.routes.http;
  }

  dispatch(options, handler) {
    return this.pick(options.origin).dispatch(options, handler);
  }

  /** Interceptors on the global dispatcher (`getGlobalDispatcher().compose(…)`), as on any undici Dispatcher. */
  compose(...interceptors) {
    const { Dispatcher } = require('undici');
    return Dispatcher.prototype.compose.apply(this, interceptors);
  }

  async close() {
    if (this.routes) await Promise.all(uniqueDispatchers(this.routes).map((d) => d.close()));
  }

  async destroy(error) {
    if (this.routes) await Promise.all(uniqueDispatchers(this.routes).map((d) => d.destroy(error)));
  }
}

function uniqueDispatchers(routes) {
  return [...new Set([routes.direct, routes.http, routes.https])];
}

function installFetch(settings) {
  const dispatcher = new LazyRoutingDispatcher(settings);
  for (const symbol of DISPATCHER_SYMBOLS) {
    // The same attributes undici's setGlobalDispatcher uses, so a later call by the server still works.
    Object.defineProperty(globalThis, symbol, { value: dispatcher, writable: true, enumerable: false, configurable: false });
  }
}

/**
 * http/https default agents: one agent that hands each request to a direct agent or to the proxy agent
 * by NO_PROXY (http-proxy-agent sends absolute-form requests; https-proxy-agent opens a CONNECT tunnel).
 * Requests that bring their own agent are left alone.
 */
function routingAgent(mod, secure, proxyAgent, noProxy) {
  const direct = new mod.Agent({ keepAlive: true });
  class RoutingAgent extends mod.Agent {
    addRequest(req, options) {
      const port = Number(options.port) || (secure ? 443 : 80);
      const host = options.host || options.hostname || 'localhost';
      const target = proxyAgent && shouldProxy(noProxy, host, port) ? proxyAgent : direct;
      return target.addRequest(req, { ...options, secureEndpoint: secure });
    }

    destroy() {
      direct.destroy();
      if (proxyAgent) proxyAgent.destroy();
    }
  }
  return new RoutingAgent({ keepAlive: true });
}

function installHttpAgents(settings) {
  const { env, noProxy, headers } = settings;
  const httpUri = proxyUrlFor(env, false);
  const httpsUri = proxyUrlFor(env, true);
  const { HttpProxyAgent } = require('http-proxy-agent');
  const { HttpsProxyAgent } = require('https-proxy-agent');
  const httpProxy = httpUri ? new HttpProxyAgent(httpUri, { keepAlive: true, headers: { ...headers } }) : null;
  const httpsProxy = httpsUri ? new HttpsProxyAgent(httpsUri, { keepAlive: true, headers: { ...headers } }) : null;
  http.globalAgent = routingAgent(http, false, httpProxy, noProxy);
  https.globalAgent = routingAgent(https, true, httpsProxy, noProxy);
}

function install(env) {
  if (globalThis[INSTALLED]) return;
  if (!proxyUrlFor(env, true) && !proxyUrlFor(env, false)) return; // nothing to route to
  globalThis[INSTALLED] = true;
  const settings = { env, noProxy: parseNoProxy(env.no_proxy || env.NO_PROXY), headers: launchHeaders(env) };
  // Each part on its own: a failure in one must neither stop the other nor the server.
  try {
    installFetch(settings);
  } catch (error) {
    warn('fetch', error);
  }
  try {
    installHttpAgents(settings);
  } catch (error) {
    warn('http agents', error);
  }
}

/** stderr only, and only the error's name/code: a message could quote a proxy URL with its credential. */
function warn(part, error) {
  try {
    const code = error && (error.code || error.name);
    process.stderr.write(`mcp-egress preload: ${part} not routed through the proxy (${code || 'error'})\n`);
  } catch {
    // stderr gone: nothing left to tell
  }
}

try {
  install(process.env);
} catch (error) {
  warn('setup', error);
}

module.exports = { parseNoProxy, shouldProxy, proxyUrlFor, launchHeaders };
