import { defineConfig } from "@playwright/test";
import base, { reuseExistingServer } from "./playwright.config";

/**
 * The inspector page (`GET /_mock/`) in Chromium, against mock-idp alone, deterministic (frozen
 * clock, embedded keys, sequential ids), so what the page shows, and the README's screenshots
 * that this suite writes, are the same on every run:
 *
 *   npx playwright test -c playwright.inspector.config.ts
 *
 * Its own port (4010), so it never meets the other suites' mock on :4000 or a running demo.
 * MOCK_IDP_BIN points at a prebuilt binary (`cargo xtask test` sets it); otherwise `cargo run`.
 */
export const IDP = "http://localhost:4010";

const mockIdp = process.env.MOCK_IDP_BIN
  ? `${process.env.MOCK_IDP_BIN} --port 4010 --deterministic`
  : "cargo run -q -p mock-idp -- --port 4010 --deterministic";

export default defineConfig({
  ...base,
  testIgnore: [],
  testMatch: "inspector.spec.ts",
  use: { ...base.use, baseURL: IDP, viewport: { width: 1100, height: 800 } },
  webServer: [
    {
      command: mockIdp,
      url: `${IDP}/health`,
      reuseExistingServer,
      // A cold `cargo run` compiles the workspace first.
      timeout: 900_000,
      stdout: "ignore",
      stderr: "pipe",
    },
  ],
});
