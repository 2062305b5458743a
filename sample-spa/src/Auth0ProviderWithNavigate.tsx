import { Auth0Provider, type AppState } from "@auth0/auth0-react";
import type { ReactNode } from "react";
import { useNavigate } from "react-router";
import { getAuthConfig } from "./config";

const config = getAuthConfig();

/**
 * How long silent authentication (the hidden `prompt=none` iframe used on page
 * load and by getAccessTokenSilently) may take. The SDK's default is 60 s, and an
 * unreachable IdP never answers the iframe, so the user would watch a spinner for
 * a minute before seeing the error. 10 s is ample for a healthy IdP.
 */
export const SILENT_AUTH_TIMEOUT_SECONDS = 10;

/**
 * `Auth0Provider` configured from `auth_config.json`, using the @auth0/auth0-react v2
 * option shape (`clientId`, `authorizationParams.redirect_uri/audience`; the v1
 * top-level `client_id`/`redirect_uri`/`audience` are silently ignored by v2).
 *
 * No `issuer` option: auth0-spa-js would turn `http://…` into `https://http://…`.
 * Must be rendered inside the router so the login callback can navigate.
 */
export function Auth0ProviderWithNavigate({ children }: { children: ReactNode }) {
  const navigate = useNavigate();

  // After the login redirect, go back to the page that asked for it (set by
  // withAuthenticationRequired) and drop `?code=&state=` from the URL.
  const onRedirectCallback = (appState?: AppState) => {
    void navigate(appState?.returnTo ?? window.location.pathname, { replace: true });
  };

  return (
    <Auth0Provider
      domain={config.domain}
      clientId={config.clientId}
      authorizationParams={{
        redirect_uri: window.location.origin,
        audience: config.audience,
      }}
      authorizeTimeoutInSeconds={SILENT_AUTH_TIMEOUT_SECONDS}
      onRedirectCallback={onRedirectCallback}
    >
      {children}
    </Auth0Provider>
  );
}
