/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig, type ProxyOptions } from "vite";

// The SPA calls same-origin `/api/...`; the dev server and `vite preview`
// forward it to sample-api, so the browser never needs CORS for the API.
const apiProxy: Record<string, ProxyOptions> = {
  "/api": { target: "http://localhost:3001" },
};

// Port 3000 is the redirect_uri / allowed origin registered for the
// `sample-spa` client in mock-idp, so never fall back to another port.
const server = { host: "localhost", port: 3000, strictPort: true, proxy: apiProxy };

export default defineConfig({
  plugins: [react()],
  server,
  preview: server,
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    restoreMocks: true,
    unstubGlobals: true,
  },
});
