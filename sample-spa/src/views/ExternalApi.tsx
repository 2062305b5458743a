import { useAuth0 } from "@auth0/auth0-react";
import { useState } from "react";
import { callApi, type ApiResult } from "../api/client";
import { ApiOutcome } from "../components/ApiOutcome";

const ENDPOINTS = {
  external: "/api/external",
  scoped: "/api/private-scoped",
} as const;

type Endpoint = keyof typeof ENDPOINTS;

/**
 * The tutorial's ExternalApi page: "Ping API" calls `/api/external` with an access token.
 * "Ping scoped API" calls `/api/private-scoped`, which needs the `read:messages`
 * permission, so a user without it sees the API's 403.
 */
export function ExternalApi() {
  const { getAccessTokenSilently } = useAuth0();
  const [pending, setPending] = useState<Endpoint | null>(null);
  const [result, setResult] = useState<ApiResult | null>(null);

  const ping = async (endpoint: Endpoint) => {
    setPending(endpoint);
    setResult(null);
    try {
      setResult(await callApi(ENDPOINTS[endpoint], () => getAccessTokenSilently()));
    } finally {
      setPending(null);
    }
  };

  return (
    <section>
      <h1>External API</h1>
      <p>
        Ping an external API by clicking a button below. This calls the API with an access token, and the API validates
        it against the identity provider's keys.
      </p>
      <div className="button-row">
        <button
          type="button"
          className="primary"
          data-testid="ping-api"
          disabled={pending !== null}
          aria-busy={pending === "external"}
          onClick={() => ping("external")}
        >
          Ping API
        </button>
        <button
          type="button"
          data-testid="ping-scoped-api"
          disabled={pending !== null}
          aria-busy={pending === "scoped"}
          onClick={() => ping("scoped")}
        >
          Ping scoped API
        </button>
      </div>
      {pending && <p className="muted">Calling {ENDPOINTS[pending]}…</p>}
      {result && <ApiOutcome result={result} />}
    </section>
  );
}
