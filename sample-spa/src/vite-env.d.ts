/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** Overrides `domain` from auth_config.json at build time, e.g. `https://my-tenant.eu.auth0.com`. */
  readonly VITE_AUTH0_DOMAIN?: string;
  /** Overrides `clientId` from auth_config.json at build time. */
  readonly VITE_AUTH0_CLIENT_ID?: string;
  /** Overrides `audience` from auth_config.json at build time. */
  readonly VITE_AUTH0_AUDIENCE?: string;
}

interface ImportMeta {
  readonly env: ImportMetaEnv;
}
