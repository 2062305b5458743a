import { describe, expect, it } from "vitest";
import authConfig from "./auth_config.json";
import { getAuthConfig } from "./config";

describe("getAuthConfig", () => {
  it("reads domain, clientId and audience from auth_config.json when no env override is set", () => {
    // Act
    const config = getAuthConfig({});

    // Assert
    expect(config).toEqual(authConfig);
    expect(config).toEqual({
      domain: "http://localhost:4000",
      clientId: "sample-spa",
      audience: "https://sample-api",
    });
  });

  it("lets VITE_AUTH0_* variables override the file", () => {
    // Act
    const config = getAuthConfig({
      VITE_AUTH0_DOMAIN: "https://tenant.eu.auth0.com",
      VITE_AUTH0_CLIENT_ID: "abc",
      VITE_AUTH0_AUDIENCE: "https://api.example.com",
    });

    // Assert
    expect(config).toEqual({
      domain: "https://tenant.eu.auth0.com",
      clientId: "abc",
      audience: "https://api.example.com",
    });
  });

  it("drops a trailing slash from the domain but keeps an explicit http scheme and port", () => {
    // Act
    const config = getAuthConfig({ VITE_AUTH0_DOMAIN: "http://localhost:4000/" });

    // Assert
    expect(config.domain).toBe("http://localhost:4000");
  });
});
