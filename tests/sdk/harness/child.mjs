// Runs an ES module in a child `node` and resolves with the JSON it wrote to stdout. For SDKs
// that must see an environment from their first line (NODE_EXTRA_CA_CERTS is read only when
// Node starts), whatever the test process itself was started with.

import { spawn } from "node:child_process";

/**
 * @param {string} script the module's source; it writes one JSON value to stdout
 * @param {{ cwd: string, env: Record<string,string> }} options `env` adds to this process's
 */
export function runModule(script, { cwd, env }) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c) => (stderr += c));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.once("exit", (code) => {
      clearTimeout(timer);
      try {
        resolve(JSON.parse(stdout));
      } catch {
        reject(new Error(`the SDK's child exited ${code} with no result; stderr:\n${stderr}`));
      }
    });
  });
}
