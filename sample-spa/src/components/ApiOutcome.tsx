import type { ApiResult } from "../api/client";

/** Renders one `ApiResult`: the JSON answer on success, an alert with the details otherwise. */
export function ApiOutcome({ result }: { result: ApiResult }) {
  switch (result.kind) {
    case "ok":
      return (
        <section className="result" aria-label="API result">
          <h2>Result (HTTP {result.status})</h2>
          <pre data-testid="api-result">{JSON.stringify(result.data, null, 2)}</pre>
        </section>
      );
    case "http-error":
      return (
        <div className="alert" role="alert" data-testid="api-error">
          <strong>The API answered HTTP {result.status}</strong>
          {(result.error || result.description) && (
            <p>
              {result.error && <code>{result.error}</code>}
              {result.error && result.description && ": "}
              {result.description}
            </p>
          )}
          {result.body !== undefined && <pre>{JSON.stringify(result.body, null, 2)}</pre>}
        </div>
      );
    case "token-error":
      return (
        <div className="alert" role="alert" data-testid="api-error">
          <strong>Could not get an access token</strong>
          <p>
            {result.error && <code>{result.error}</code>}
            {result.error && ": "}
            {result.description}
          </p>
        </div>
      );
    case "network-error":
      return (
        <div className="alert" role="alert" data-testid="api-error">
          <strong>Could not reach the API</strong>
          <p>{result.description}</p>
        </div>
      );
  }
}
