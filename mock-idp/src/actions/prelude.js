// Evaluated in every fresh context before an Action's code: what Node and Auth0 give an
// Action that the engine does not (console, require, timers, fetch), and Auth0's `api`
// object per trigger. Everything the code asks for is written to `outcome`, which the host
// reads back as one JSON string when the handler's promise settles. Nothing here survives
// the context: the host makes a new one for each execution.
"use strict";
(function (global) {
  const MAX_CONSOLE_LINES = 1000;
  const outcome = {
    id_token_claims: {},
    access_token_claims: {},
    scopes_added: [],
    scopes_removed: [],
    denied: null,
    app_metadata: {},
    user_metadata: {},
    validation_error: null,
    console: [],
  };

  function show(value) {
    if (typeof value === "string") return value;
    if (value instanceof Error) return value.stack ? `${value}\n${value.stack}` : String(value);
    if (value === undefined || typeof value === "function" || typeof value === "symbol") {
      return String(value);
    }
    try {
      const json = JSON.stringify(value);
      return json === undefined ? String(value) : json;
    } catch (_) {
      return String(value);
    }
  }
  function logger(level) {
    return (...args) => {
      if (outcome.console.length < MAX_CONSOLE_LINES) {
        outcome.console.push({ level, message: args.map(show).join(" ") });
      }
    };
  }
  global.console = {
    log: logger("log"),
    info: logger("info"),
    debug: logger("debug"),
    warn: logger("warn"),
    error: logger("error"),
  };

  global.require = function require(name) {
    throw new Error(
      `require(${JSON.stringify(String(name))}): npm modules and Node built-ins are out of ` +
        "scope for mock-idp's Actions; the runtime offers console, fetch, setTimeout and " +
        "the event and api objects",
    );
  };

  // Timers run on a virtual clock: when no promise job is left, the host fires the earliest
  // one (`__mock_fire_timer`), so `await new Promise(r => setTimeout(r, 100))` neither sleeps
  // nor hangs, and waiting past the time limit is a timeout like on Auth0.
  let virtualNow = 0;
  let nextTimer = 1;
  const timers = new Map();
  global.setTimeout = function setTimeout(callback, delay, ...args) {
    const id = nextTimer++;
    const ms = Math.max(0, Number(delay) || 0);
    timers.set(id, { at: virtualNow + ms, seq: id, callback, args });
    return id;
  };
  global.clearTimeout = function clearTimeout(id) {
    timers.delete(id);
  };
  global.setImmediate = (callback, ...args) => global.setTimeout(callback, 0, ...args);
  global.clearImmediate = global.clearTimeout;
  global.__mock_fire_timer = function () {
    let first = null;
    for (const [id, timer] of timers) {
      if (first === null || timer.at < first.timer.at || (timer.at === first.timer.at && timer.seq < first.timer.seq)) {
        first = { id, timer };
      }
    }
    if (first === null) return -1;
    timers.delete(first.id);
    virtualNow = Math.max(virtualNow, first.timer.at);
    if (typeof first.timer.callback === "function") first.timer.callback(...first.timer.args);
    return virtualNow;
  };

  // fetch over the host's blocking HTTP client (`__mock_http`, absent when the host offers
  // none): enough of WHATWG fetch for an Action that calls the team's own service.
  class Headers {
    constructor(init) {
      this._map = new Map();
      if (init instanceof Headers) init.forEach((v, k) => this.set(k, v));
      else if (Array.isArray(init)) init.forEach(([k, v]) => this.append(k, v));
      else if (init && typeof init === "object") Object.keys(init).forEach((k) => this.set(k, init[k]));
    }
    append(name, value) {
      const key = String(name).toLowerCase();
      const old = this._map.get(key);
      this._map.set(key, old === undefined ? String(value) : `${old}, ${value}`);
    }
    set(name, value) { this._map.set(String(name).toLowerCase(), String(value)); }
    get(name) { const v = this._map.get(String(name).toLowerCase()); return v === undefined ? null : v; }
    has(name) { return this._map.has(String(name).toLowerCase()); }
    delete(name) { this._map.delete(String(name).toLowerCase()); }
    forEach(callback) { this._map.forEach((v, k) => callback(v, k, this)); }
    entries() { return this._map.entries(); }
    keys() { return this._map.keys(); }
    values() { return this._map.values(); }
    [Symbol.iterator]() { return this._map.entries(); }
  }
  class Response {
    constructor(body, init) {
      const options = init || {};
      this._body = body === undefined || body === null ? "" : String(body);
      this.status = options.status === undefined ? 200 : options.status;
      this.statusText = options.statusText || "";
      this.headers = new Headers(options.headers);
      this.url = options.url || "";
      this.ok = this.status >= 200 && this.status < 300;
      this.bodyUsed = false;
    }
    async text() { this.bodyUsed = true; return this._body; }
    async json() { this.bodyUsed = true; return JSON.parse(this._body); }
  }
  global.Headers = Headers;
  global.Response = Response;
  const http = global.__mock_http;
  delete global.__mock_http;
  global.fetch = async function fetch(input, init) {
    const options = init || {};
    const url = typeof input === "string" ? input : input && input.url ? input.url : String(input);
    const headers = [];
    new Headers(options.headers).forEach((v, k) => headers.push([k, v]));
    const request = {
      url,
      method: String(options.method || "GET").toUpperCase(),
      headers,
      body: options.body === undefined || options.body === null ? null : String(options.body),
    };
    if (typeof http !== "function") throw new TypeError("fetch failed: this runtime has no HTTP client");
    const reply = JSON.parse(http(JSON.stringify(request)));
    if (reply.error) throw new TypeError(`fetch failed: ${reply.error}`);
    return new Response(reply.body, { status: reply.status, statusText: reply.status_text, headers: reply.headers, url });
  };

  function cache() {
    // Auth0's cache is best effort ("items may not be available in later transactions"); here
    // it lasts one execution, so executions stay isolated.
    const entries = new Map();
    return {
      get(key) { return entries.has(key) ? { value: entries.get(key) } : undefined; },
      set(key, value) { entries.set(key, String(value)); return { type: "success" }; },
      delete(key) { entries.delete(key); return { type: "success" }; },
    };
  }
  function setClaim(claims) {
    return (name, value) => { claims[String(name)] = value === undefined ? null : value; };
  }
  function setMetadata(target) {
    // null (or undefined) removes the key, as on Auth0.
    return (key, value) => { target[String(key)] = value === undefined ? null : value; };
  }
  function addScope(scope) {
    const s = String(scope);
    outcome.scopes_removed = outcome.scopes_removed.filter((x) => x !== s);
    if (!outcome.scopes_added.includes(s)) outcome.scopes_added.push(s);
  }
  function removeScope(scope) {
    const s = String(scope);
    outcome.scopes_added = outcome.scopes_added.filter((x) => x !== s);
    if (!outcome.scopes_removed.includes(s)) outcome.scopes_removed.push(s);
  }
  function notSimulated(name) {
    return () => { logger("warn")(`mock-idp: ${name} is not simulated; the call was ignored`); };
  }
  // Every method returns `api`, as Auth0's do, so calls chain.
  function chain(api, methods) {
    const out = {};
    for (const name of Object.keys(methods)) {
      out[name] = (...args) => { const r = methods[name](...args); return r === undefined ? api : r; };
    }
    return out;
  }

  const apis = {
    "post-login"() {
      const api = {};
      api.access = chain(api, { deny: (reason) => { outcome.denied = { reason: String(reason) }; } });
      api.accessToken = chain(api, {
        setCustomClaim: setClaim(outcome.access_token_claims),
        addScope,
        removeScope,
      });
      api.idToken = chain(api, { setCustomClaim: setClaim(outcome.id_token_claims) });
      api.user = chain(api, {
        setAppMetadata: setMetadata(outcome.app_metadata),
        setUserMetadata: setMetadata(outcome.user_metadata),
      });
      api.cache = cache();
      api.multifactor = chain(api, { enable: notSimulated("api.multifactor.enable") });
      api.authentication = chain(api, {
        challengeWith: notSimulated("api.authentication.challengeWith"),
        challengeWithAny: notSimulated("api.authentication.challengeWithAny"),
        enrollWith: notSimulated("api.authentication.enrollWith"),
        enrollWithAny: notSimulated("api.authentication.enrollWithAny"),
        recordMethod: notSimulated("api.authentication.recordMethod"),
        setPrimaryUser: notSimulated("api.authentication.setPrimaryUser"),
      });
      api.redirect = chain(api, {
        sendUserTo: notSimulated("api.redirect.sendUserTo"),
        encodeToken: notSimulated("api.redirect.encodeToken"),
        validateToken: notSimulated("api.redirect.validateToken"),
      });
      api.session = chain(api, { revoke: notSimulated("api.session.revoke") });
      return api;
    },
    "credentials-exchange"() {
      const api = {};
      api.access = chain(api, {
        deny: (code, reason) => {
          outcome.denied = { code: String(code), reason: reason === undefined ? "" : String(reason) };
        },
      });
      api.accessToken = chain(api, { setCustomClaim: setClaim(outcome.access_token_claims) });
      api.cache = cache();
      return api;
    },
    "pre-user-registration"() {
      const api = {};
      api.access = chain(api, {
        deny: (reason, userMessage) => {
          outcome.denied = {
            reason: String(reason),
            user_message: userMessage === undefined ? null : String(userMessage),
          };
        },
      });
      api.user = chain(api, {
        setAppMetadata: setMetadata(outcome.app_metadata),
        setUserMetadata: setMetadata(outcome.user_metadata),
      });
      api.validation = chain(api, {
        error: (code, message) => {
          outcome.validation_error = { code: String(code), message: message === undefined ? "" : String(message) };
        },
      });
      api.cache = cache();
      return api;
    },
    "post-user-registration"() {
      const api = {};
      api.cache = cache();
      return api;
    },
  };

  global.__mock_console = () => JSON.stringify(outcome.console);

  const module = { exports: {} };
  global.__mock_load = function (wrapper) {
    wrapper.call(module.exports, module.exports, global.require, module);
  };
  global.__mock_execute = function (trigger, handler, eventJson) {
    const run = module.exports[handler];
    if (typeof run !== "function") {
      throw new TypeError(`the Action does not export ${handler} (exports.${handler} = async (event, api) => { ... })`);
    }
    const event = JSON.parse(eventJson);
    return Promise.resolve(run(event, apis[trigger]())).then(() => JSON.stringify(outcome));
  };
})(globalThis);
