import { render, screen } from "@testing-library/react";
import type { ComponentType, ReactNode } from "react";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { App } from "./App";
import { mockAuth0, mockLoggedIn } from "./test/auth0";

vi.mock("@auth0/auth0-react", () => {
  const useAuth0 = vi.fn();
  // Stand-in for the SDK's guard, reduced to what App relies on: the page when
  // logged in, otherwise `onRedirecting()` (while the real one redirects to log in).
  function withAuthenticationRequired(Component: ComponentType, options?: { onRedirecting?: () => ReactNode }) {
    return function Guarded() {
      const { isAuthenticated } = useAuth0() as { isAuthenticated: boolean };
      return isAuthenticated ? <Component /> : (options?.onRedirecting?.() ?? null);
    };
  }
  return { useAuth0, withAuthenticationRequired };
});

function renderAt(path: string) {
  return render(
    <MemoryRouter initialEntries={[path]}>
      <App />
    </MemoryRouter>,
  );
}

describe("App", () => {
  it("shows the Loading view, and no page, while the SDK initialises", () => {
    // Arrange
    mockAuth0({ isLoading: true });

    // Act
    renderAt("/");

    // Assert
    expect(screen.getByTestId("loading")).toBeInTheDocument();
    expect(screen.queryByRole("heading", { name: "Calling an API" })).not.toBeInTheDocument();
  });

  it("shows the SDK's error at the top and still offers to log in", () => {
    // Arrange
    mockAuth0({ error: new Error("Invalid state") });

    // Act
    renderAt("/");

    // Assert
    expect(screen.getByTestId("auth-error")).toHaveTextContent("Invalid state");
    expect(screen.getByTestId("login-button")).toBeInTheDocument();
  });

  it("shows no auth error when the SDK has none", () => {
    // Arrange
    mockAuth0();

    // Act
    renderAt("/");

    // Assert
    expect(screen.queryByTestId("auth-error")).not.toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Calling an API" })).toBeInTheDocument();
  });

  it.each([
    ["/profile", "user-name"],
    ["/external-api", "ping-api"],
  ])("guards %s: shows the Loading view instead of the page while logged out", (path, pageTestId) => {
    // Arrange
    mockAuth0({ isAuthenticated: false });

    // Act
    renderAt(path);

    // Assert
    expect(screen.getByTestId("loading")).toBeInTheDocument();
    expect(screen.queryByTestId(pageTestId)).not.toBeInTheDocument();
  });

  it.each([
    ["/profile", "user-name"],
    ["/external-api", "ping-api"],
  ])("shows the %s page when logged in", (path, pageTestId) => {
    // Arrange
    mockLoggedIn();

    // Act
    renderAt(path);

    // Assert
    expect(screen.getByTestId(pageTestId)).toBeInTheDocument();
    expect(screen.queryByTestId("loading")).not.toBeInTheDocument();
  });
});
