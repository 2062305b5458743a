// `npm test`: makes sure the mock's local CA exists, then runs every suite in one `node --test`
// that trusts it. Node reads NODE_EXTRA_CA_CERTS only when a process starts, so the CA must be
// on disk before the test runner (and every suite it forks) starts; the mock makes it on its
// first `--tls` start in TLS_DIR and reuses it after.

import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startMock, TLS_DIR } from "./mock.mjs";

const suites = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

const mock = await startMock({ tls: true });
await mock.stop();

const runner = spawn(
  process.execPath,
  ["--test", "--test-concurrency=1", "--test-reporter=spec", ...process.argv.slice(2)],
  {
    cwd: suites,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: path.join(TLS_DIR, "ca.pem") },
    stdio: "inherit",
  },
);
runner.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
