import { useAuth0, type Auth0ContextInterface, type User } from "@auth0/auth0-react";
import { vi } from "vitest";

/** A user as mock-idp puts it in the ID token for alice. */
export const alice: User = {
  sub: "auth0|alice",
  name: "Alice Example",
  nickname: "alice",
  email: "alice@example.com",
  email_verified: true,
  picture: "https://example.com/alice.png",
};

/**
 * Makes the (module-mocked) `useAuth0` return a logged-out context plus `overrides`.
 * The test file must call `vi.mock("@auth0/auth0-react")`.
 */
export function mockAuth0(overrides: Partial<Auth0ContextInterface> = {}): Auth0ContextInterface {
  const context = {
    isAuthenticated: false,
    isLoading: false,
    user: undefined,
    error: undefined,
    loginWithRedirect: vi.fn().mockResolvedValue(undefined),
    logout: vi.fn().mockResolvedValue(undefined),
    getAccessTokenSilently: vi.fn().mockResolvedValue("access-token"),
    ...overrides,
  } as unknown as Auth0ContextInterface;
  vi.mocked(useAuth0).mockReturnValue(context);
  return context;
}

/** Shorthand for a logged-in context. */
export function mockLoggedIn(overrides: Partial<Auth0ContextInterface> = {}): Auth0ContextInterface {
  return mockAuth0({ isAuthenticated: true, user: alice, ...overrides });
}

/** A JSON `Response`, as sample-api sends them. */
export function jsonResponse(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "Content-Type": "application/json" },
  });
}

/** The shape auth0-spa-js gives its errors (`GenericError`): `error` code plus `error_description`. */
export function auth0Error(error: string, description: string): Error {
  return Object.assign(new Error(description), { error, error_description: description });
}
