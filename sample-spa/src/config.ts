import authConfig from "./auth_config.json";

/** Where the SPA logs in and which API its access tokens are for. */
export interface AuthConfig {
  /** Base URL of the Auth0 tenant or mock-idp, e.g. `http://localhost:4000`. */
  domain: string;
  clientId: string;
  /** API identifier requested as `audience`, e.g. `https://sample-api`. */
  audience: string;
}

type AuthEnv = Pick<ImportMetaEnv, "VITE_AUTH0_DOMAIN" | "VITE_AUTH0_CLIENT_ID" | "VITE_AUTH0_AUDIENCE">;

/**
 * Reads `src/auth_config.json`, with optional build-time `VITE_AUTH0_*` overrides.
 *
 * A trailing slash on `domain` is removed: auth0-spa-js builds URLs as
 * `${domain}/authorize` and expects `iss` to be `${domain}/`, so
 * `http://localhost:4000/` would give `//authorize` and an issuer mismatch.
 * An explicit `http://` scheme is kept as it is.
 */
export function getAuthConfig(env: AuthEnv = import.meta.env): AuthConfig {
  const domain = env.VITE_AUTH0_DOMAIN || authConfig.domain;
  return {
    domain: domain.replace(/\/+$/, ""),
    clientId: env.VITE_AUTH0_CLIENT_ID || authConfig.clientId,
    audience: env.VITE_AUTH0_AUDIENCE || authConfig.audience,
  };
}
