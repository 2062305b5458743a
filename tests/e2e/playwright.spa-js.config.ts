import { defineConfig } from "@playwright/test";
import base, { reuseExistingServer } from "./playwright.config";

/**
 * The real @auth0/auth0-spa-js against mock-idp, with nothing else: a static page of our own
 * on :3000 (fixtures/spa-js) and the mock on :4000. Its own config because it owns port 3000,
 * which the sample-spa specs use for the sample app:
 *
 *   npx playwright test -c playwright.spa-js.config.ts
 *
 * MOCK_IDP_BIN points at a prebuilt mock-idp binary (CI); otherwise `cargo run` builds one.
 */
const mockIdp = process.env.MOCK_IDP_BIN
  ? `${process.env.MOCK_IDP_BIN} --port 4000`
  : "cargo run -q -p mock-idp -- --port 4000";

export default defineConfig({
  ...base,
  testIgnore: [],
  testMatch: "spa-js.spec.ts",
  use: { ...base.use, baseURL: "http://localhost:3000" },
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
      command: "node fixtures/spa-js/serve.mjs",
      url: "http://localhost:3000/health",
      reuseExistingServer,
      timeout: 30_000,
    },
  ],
});
