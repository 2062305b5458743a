import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { MemoryRouter } from "react-router";
import { describe, expect, it, vi } from "vitest";
import { mockAuth0, mockLoggedIn } from "../test/auth0";
import { NavBar } from "./NavBar";

vi.mock("@auth0/auth0-react");

function renderNavBar() {
  return render(
    <MemoryRouter>
      <NavBar />
    </MemoryRouter>,
  );
}

describe("NavBar", () => {
  it("shows neither Log in nor Log out while the SDK is still checking the session", () => {
    // Arrange
    mockAuth0({ isLoading: true });

    // Act
    renderNavBar();

    // Assert
    expect(screen.queryByTestId("login-button")).not.toBeInTheDocument();
    expect(screen.queryByTestId("logout-button")).not.toBeInTheDocument();
  });

  describe("when logged out", () => {
    it("shows a Log in button and no page links", () => {
      // Arrange
      mockAuth0({ isAuthenticated: false });

      // Act
      renderNavBar();

      // Assert
      expect(screen.getByTestId("login-button")).toHaveTextContent("Log in");
      expect(screen.queryByTestId("logout-button")).not.toBeInTheDocument();
      expect(screen.queryByTestId("nav-profile")).not.toBeInTheDocument();
      expect(screen.queryByTestId("nav-external-api")).not.toBeInTheDocument();
    });

    it("starts the login redirect when Log in is clicked", async () => {
      // Arrange
      const auth = mockAuth0({ isAuthenticated: false });
      renderNavBar();

      // Act
      await userEvent.click(screen.getByTestId("login-button"));

      // Assert
      expect(auth.loginWithRedirect).toHaveBeenCalledTimes(1);
    });
  });

  describe("when logged in", () => {
    it("shows Home, Profile and External API links and a Log out button", () => {
      // Arrange
      mockLoggedIn();

      // Act
      renderNavBar();

      // Assert
      expect(screen.getByTestId("nav-home")).toHaveAttribute("href", "/");
      expect(screen.getByTestId("nav-profile")).toHaveAttribute("href", "/profile");
      expect(screen.getByTestId("nav-external-api")).toHaveAttribute("href", "/external-api");
      expect(screen.getByTestId("logout-button")).toHaveTextContent("Log out");
      expect(screen.queryByTestId("login-button")).not.toBeInTheDocument();
    });

    it("logs out and returns to this app's origin when Log out is clicked", async () => {
      // Arrange
      const auth = mockLoggedIn();
      renderNavBar();

      // Act
      await userEvent.click(screen.getByTestId("logout-button"));

      // Assert
      expect(auth.logout).toHaveBeenCalledWith({ logoutParams: { returnTo: window.location.origin } });
    });
  });
});
