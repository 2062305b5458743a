import { describe, expect, it, vi } from "vitest";
import { auth0Error, jsonResponse } from "../test/auth0";
import { callApi } from "./client";

describe("callApi", () => {
  it("sends the access token as an Authorization: Bearer header to the given path", async () => {
    // Arrange
    const fetchImpl = vi.fn<typeof fetch>().mockResolvedValue(jsonResponse(200, { msg: "ok" }));

    // Act
    await callApi("/api/external", () => Promise.resolve("tok-123"), fetchImpl);

    // Assert
    expect(fetchImpl).toHaveBeenCalledTimes(1);
    const [url, init] = fetchImpl.mock.calls[0];
    expect(url).toBe("/api/external");
    expect(new Headers(init?.headers).get("Authorization")).toBe("Bearer tok-123");
  });

  it("returns the parsed JSON body and status on 200", async () => {
    // Arrange
    const body = { msg: "Your access token was successfully validated!" };
    const fetchImpl = vi.fn<typeof fetch>().mockResolvedValue(jsonResponse(200, body));

    // Act
    const result = await callApi("/api/external", () => Promise.resolve("tok"), fetchImpl);

    // Assert
    expect(result).toEqual({ kind: "ok", status: 200, data: body });
  });

  it("returns the status, error and error_description of an API error", async () => {
    // Arrange
    const body = { error: "insufficient_scope", error_description: "Insufficient Scope" };
    const fetchImpl = vi.fn<typeof fetch>().mockResolvedValue(jsonResponse(403, body));

    // Act
    const result = await callApi("/api/private-scoped", () => Promise.resolve("tok"), fetchImpl);

    // Assert
    expect(result).toEqual({
      kind: "http-error",
      status: 403,
      error: "insufficient_scope",
      description: "Insufficient Scope",
      body,
    });
  });

  it("keeps a non-JSON error body as text instead of failing", async () => {
    // Arrange
    const fetchImpl = vi.fn<typeof fetch>().mockResolvedValue(new Response("Bad Gateway", { status: 502 }));

    // Act
    const result = await callApi("/api/external", () => Promise.resolve("tok"), fetchImpl);

    // Assert
    expect(result).toEqual({ kind: "http-error", status: 502, error: undefined, description: undefined, body: "Bad Gateway" });
  });

  it("returns a token-error with the OAuth code and does not call the API when no token can be had", async () => {
    // Arrange
    const fetchImpl = vi.fn<typeof fetch>();
    const getToken = () => Promise.reject(auth0Error("login_required", "Login required"));

    // Act
    const result = await callApi("/api/external", getToken, fetchImpl);

    // Assert
    expect(result).toEqual({ kind: "token-error", error: "login_required", description: "Login required" });
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("returns a token-error when the SDK resolves without a token", async () => {
    // Arrange
    const fetchImpl = vi.fn<typeof fetch>();

    // Act
    const result = await callApi("/api/external", () => Promise.resolve(undefined), fetchImpl);

    // Assert
    expect(result.kind).toBe("token-error");
    expect(fetchImpl).not.toHaveBeenCalled();
  });

  it("returns a network-error when fetch rejects", async () => {
    // Arrange
    const fetchImpl = vi.fn<typeof fetch>().mockRejectedValue(new TypeError("Failed to fetch"));

    // Act
    const result = await callApi("/api/external", () => Promise.resolve("tok"), fetchImpl);

    // Assert
    expect(result).toEqual({ kind: "network-error", description: "Failed to fetch" });
  });

  it("uses the global fetch when none is given", async () => {
    // Arrange
    const globalFetch = vi.fn<typeof fetch>().mockResolvedValue(jsonResponse(200, {}));
    vi.stubGlobal("fetch", globalFetch);

    // Act
    await callApi("/api/external", () => Promise.resolve("tok"));

    // Assert
    expect(globalFetch).toHaveBeenCalledWith("/api/external", expect.anything());
  });
});
