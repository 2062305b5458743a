import { Auth0Provider, type Auth0ProviderWithConfigOptions } from "@auth0/auth0-react";
import { act, render, screen } from "@testing-library/react";
import type { ReactNode } from "react";
import { MemoryRouter, useLocation } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { Auth0ProviderWithNavigate } from "./Auth0ProviderWithNavigate";

vi.mock("@auth0/auth0-react", () => ({
  Auth0Provider: vi.fn(({ children }: { children: ReactNode }) => children),
}));

function CurrentPath() {
  const location = useLocation();
  return <output data-testid="path">{location.pathname + location.search}</output>;
}

function renderProvider(path = "/") {
  render(
    <MemoryRouter initialEntries={[path]}>
      <Auth0ProviderWithNavigate>
        <CurrentPath />
      </Auth0ProviderWithNavigate>
    </MemoryRouter>,
  );
  return vi.mocked(Auth0Provider).mock.lastCall![0] as Auth0ProviderWithConfigOptions;
}

describe("Auth0ProviderWithNavigate", () => {
  it("configures the SDK from auth_config.json with the v2 option shape", () => {
    // Act
    const props = renderProvider();

    // Assert
    expect(props.domain).toBe("http://localhost:4000");
    expect(props.clientId).toBe("sample-spa");
    expect(props.authorizationParams).toEqual({
      redirect_uri: window.location.origin,
      audience: "https://sample-api",
    });
  });

  it("gives up on silent authentication after 10 s instead of the SDK's 60 s", () => {
    // Act
    const props = renderProvider();

    // Assert
    expect(props.authorizeTimeoutInSeconds).toBe(10);
  });

  it("does not set the issuer option (spa-js would turn http://… into https://http://…)", () => {
    // Act
    const props = renderProvider();

    // Assert
    expect(props).not.toHaveProperty("issuer");
  });

  it("navigates to appState.returnTo after the login callback", () => {
    // Arrange
    const props = renderProvider("/?code=abc&state=xyz");

    // Act
    act(() => props.onRedirectCallback!({ returnTo: "/external-api" }));

    // Assert
    expect(screen.getByTestId("path")).toHaveTextContent(/^\/external-api$/);
  });

  it("drops the code and state from the URL when there is no returnTo", () => {
    // Arrange
    const props = renderProvider("/?code=abc&state=xyz");

    // Act
    act(() => props.onRedirectCallback!({}));

    // Assert
    expect(screen.getByTestId("path")).toHaveTextContent(/^\/$/);
  });
});
