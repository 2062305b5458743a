// Starts the real mock-idp binary for a suite and talks to its control API.
//
// The binary comes from MOCK_IDP_BIN (cargo xtask test sets it), else from the workspace's
// debug build. A missing binary is an error, never a skipped suite.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");

/**
 * Where `startMock({ tls: true })` keeps the mock's local CA (`ca.pem`). `npm test` makes it
 * before the suites start and trusts it for the whole run (NODE_EXTRA_CA_CERTS).
 */
export const TLS_DIR = path.resolve(here, "../.tls");

/** The mock-idp binary these suites run. */
export function mockIdpBin() {
  const target = process.env.CARGO_TARGET_DIR
    ? path.resolve(root, process.env.CARGO_TARGET_DIR)
    : path.join(root, "target");
  const bin = process.env.MOCK_IDP_BIN ?? path.join(target, "debug", "mock-idp");
  if (!existsSync(bin)) {
    throw new Error(
      `the SDK suites need the mock-idp binary at ${bin}, and none is there: ` +
        "run `cargo build -p mock-idp` (or `cargo xtask test`), or set MOCK_IDP_BIN",
    );
  }
  return bin;
}

const live = new Set();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * Starts a mock on a free port and resolves once it printed its ready line.
 *
 * @param {object} [options]
 * @param {string} [options.config] a tenant as TOML (MOCK_IDP_CONFIG_TOML); omitted: the default tenant
 * @param {string[]} [options.args] more command-line flags
 * @param {Record<string,string>} [options.env] more environment
 * @param {boolean} [options.tls] speak HTTPS with a certificate from the CA in TLS_DIR
 */
export async function startMock({ config, args = [], env = {}, tls = false } = {}) {
  const childEnv = { ...process.env, ...env };
  // A developer's own MOCK_IDP_* settings must not leak into a suite.
  for (const key of Object.keys(childEnv)) {
    if (key.startsWith("MOCK_IDP_") && !(key in env)) delete childEnv[key];
  }
  if (config !== undefined) childEnv.MOCK_IDP_CONFIG_TOML = config;
  const child = spawn(mockIdpBin(), ["--port", "0", ...(tls ? ["--tls", "--tls-dir", TLS_DIR] : []), ...args], {
    env: childEnv,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = new Promise((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  exited.then(() => live.delete(child));

  const ready = await new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(
      () => reject(new Error(`mock-idp printed no ready line within 20 s; stderr:\n${stderr}`)),
      20_000,
    );
    child.stdout.setEncoding("utf8").on("data", (chunk) => {
      stdout += chunk;
      const m = /mock-idp ready: issuer (\S+) listening (\S+)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolve({ issuer: m[1], address: m[2] });
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`mock-idp exited (code ${code}, signal ${signal}) before it was ready; stderr:\n${stderr}`));
    });
  });

  const origin = ready.issuer.replace(/\/$/, "");
  const control = async (method, route, body) => {
    const res = await fetch(`${origin}/_mock/${route.replace(/^\//, "")}`, {
      method,
      headers: {
        "x-mock-idp": "1",
        ...(body === undefined ? {} : { "content-type": "application/json" }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} /_mock/${route} → ${res.status}: ${text}`);
    return text ? JSON.parse(text) : null;
  };

  return {
    /** The issuer, with its trailing slash, e.g. `http://localhost:41234/` (`https://` with `tls`). */
    issuer: ready.issuer,
    /** The issuer without its trailing slash: what Auth0 SDKs take as a domain URL. */
    origin,
    /** `localhost:41234`: what SDKs that take a bare domain want. */
    host: new URL(ready.issuer).host,
    /** What the mock wrote to stderr so far (the banner, errors). */
    stderr: () => stderr,
    /** The control API (`/_mock/*`), answers parsed from JSON. */
    control: {
      get: (route) => control("GET", route),
      post: (route, body = {}) => control("POST", route, body),
      delete: (route) => control("DELETE", route),
    },
    /** Stops the mock (SIGTERM to this child only) and waits for it to exit. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
      return exited;
    },
  };
}
