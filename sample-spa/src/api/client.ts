/**
 * The one place the SPA calls sample-api. It asks for an access token, adds
 * `Authorization: Bearer <token>`, and turns every outcome into an `ApiResult`
 * value, so views never deal with thrown errors or half-parsed responses.
 */

/** The error body sample-api (and Auth0-style APIs) send: `{ error, error_description }`. */
export interface ApiErrorBody {
  error?: string;
  error_description?: string;
}

export type ApiResult<T = unknown> =
  /** 2xx: `data` is the parsed JSON body (or the raw text if it was not JSON). */
  | { kind: "ok"; status: number; data: T }
  /** The API answered with a non-2xx status (401, 403, 503, ...). */
  | { kind: "http-error"; status: number; error?: string; description?: string; body: unknown }
  /** No access token could be obtained (e.g. `login_required`, IdP unreachable, timeout). */
  | { kind: "token-error"; error?: string; description: string }
  /** The request never got an HTTP answer (network down, CORS, aborted). */
  | { kind: "network-error"; description: string };

export type GetToken = () => Promise<string | undefined>;

/**
 * GETs `path` with a bearer token obtained from `getToken`
 * (pass `useAuth0().getAccessTokenSilently`).
 */
export async function callApi<T = unknown>(
  path: string,
  getToken: GetToken,
  fetchImpl: typeof fetch = (...args) => fetch(...args),
): Promise<ApiResult<T>> {
  let token: string | undefined;
  try {
    token = await getToken();
  } catch (err) {
    return { kind: "token-error", error: oauthErrorCode(err), description: errorMessage(err) };
  }
  if (!token) {
    return { kind: "token-error", description: "The identity provider returned no access token." };
  }

  let response: Response;
  try {
    response = await fetchImpl(path, {
      headers: { Authorization: `Bearer ${token}`, Accept: "application/json" },
    });
  } catch (err) {
    return { kind: "network-error", description: errorMessage(err) };
  }

  const body = await readBody(response);
  if (response.ok) {
    return { kind: "ok", status: response.status, data: body as T };
  }
  const errorBody = isRecord(body) ? (body as ApiErrorBody) : {};
  return {
    kind: "http-error",
    status: response.status,
    error: typeof errorBody.error === "string" ? errorBody.error : undefined,
    description: typeof errorBody.error_description === "string" ? errorBody.error_description : undefined,
    body,
  };
}

/** Parses JSON when possible; otherwise keeps the text (e.g. a proxy's HTML error page). */
async function readBody(response: Response): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch {
    return undefined;
  }
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** auth0-spa-js errors (`GenericError`, `TimeoutError`, ...) carry the OAuth code in `error`. */
function oauthErrorCode(err: unknown): string | undefined {
  return isRecord(err) && typeof err.error === "string" ? err.error : undefined;
}

function errorMessage(err: unknown): string {
  if (isRecord(err) && typeof err.error_description === "string") return err.error_description;
  if (err instanceof Error) return err.message;
  return String(err);
}
