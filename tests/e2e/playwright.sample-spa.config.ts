import { statSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "@playwright/test";
import base, { reuseExistingServer } from "./playwright.config";

/**
 * The whole tutorial flow in a browser: the built sample-spa (`vite preview` on :3000, `/api`
 * proxied to :3001) → mock-idp's login page (:4000) → sample-api (:3001). Its own config because
 * it owns port 3000, which the spa-js suite uses for its static page:
 *
 *   npx playwright test -c playwright.sample-spa.config.ts
 *
 * MOCK_IDP_BIN and SAMPLE_API_BIN point at prebuilt binaries (`cargo xtask test` sets both);
 * otherwise `cargo run` builds them. The SPA is built here when `dist/` is missing or older than
 * its sources (the same rule as `cargo xtask test`).
 */
const spa = fileURLToPath(new URL("../../sample-spa", import.meta.url));

function mtime(path: string): number | undefined {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

function newest(dir: string): number {
  let best = mtime(dir) ?? 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    best = Math.max(best, entry.isDirectory() ? newest(path) : (mtime(path) ?? 0));
  }
  return best;
}

function spaNeedsBuild(): boolean {
  const built = mtime(join(spa, "dist/index.html"));
  if (built === undefined) return true;
  const sources = [newest(join(spa, "src")), mtime(join(spa, "index.html")), mtime(join(spa, "vite.config.ts"))];
  return sources.some((t) => t !== undefined && t > built);
}

const preview = `npm --prefix ${JSON.stringify(spa)} run preview -- --port 3000 --strictPort`;
const spaCommand = spaNeedsBuild() ? `npm --prefix ${JSON.stringify(spa)} run build && ${preview}` : preview;

const mockIdp = process.env.MOCK_IDP_BIN
  ? `${process.env.MOCK_IDP_BIN} --port 4000`
  : "cargo run -q -p mock-idp -- --port 4000";
const sampleApi = process.env.SAMPLE_API_BIN ?? "cargo run -q -p sample-api";

export default defineConfig({
  ...base,
  testDir: "./specs/sample-spa",
  testIgnore: [],
  testMatch: "*.spec.ts",
  use: { ...base.use, baseURL: "http://localhost:3000" },
  // Servers start in this order: sample-api reads the mock's discovery document when it starts.
  webServer: [
    {
      command: mockIdp,
      url: "http://localhost:4000/health",
      reuseExistingServer,
      // A cold `cargo run` compiles the workspace first.
      timeout: 900_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: sampleApi,
      url: "http://localhost:3001/api/public",
      env: { ISSUER_BASE_URL: "http://localhost:4000/", PORT: "3001" },
      reuseExistingServer,
      timeout: 900_000,
      stdout: "ignore",
      stderr: "pipe",
    },
    {
      command: spaCommand,
      url: "http://localhost:3000",
      reuseExistingServer,
      // `npm run build` typechecks and bundles when dist/ is stale.
      timeout: 300_000,
      stdout: "ignore",
      stderr: "pipe",
    },
  ],
});
