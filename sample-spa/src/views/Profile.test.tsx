import { render, screen } from "@testing-library/react";
import { describe, expect, it, vi } from "vitest";
import { alice, mockLoggedIn } from "../test/auth0";
import { Profile } from "./Profile";

vi.mock("@auth0/auth0-react");

describe("Profile", () => {
  it("shows the user's name, email and picture", () => {
    // Arrange
    mockLoggedIn({ user: alice });

    // Act
    render(<Profile />);

    // Assert
    expect(screen.getByTestId("user-name")).toHaveTextContent("Alice Example");
    expect(screen.getByTestId("user-email")).toHaveTextContent("alice@example.com");
    expect(screen.getByRole("img", { name: "Alice Example" })).toHaveAttribute("src", alice.picture);
  });

  it("shows all the user's claims as JSON", () => {
    // Arrange
    mockLoggedIn({ user: alice });

    // Act
    render(<Profile />);

    // Assert
    const json = screen.getByTestId("profile-json").textContent ?? "";
    expect(JSON.parse(json)).toEqual(alice);
  });

  it("renders no picture when the user has none", () => {
    // Arrange
    mockLoggedIn({ user: { sub: "auth0|bob", name: "Bob", email: "bob@example.com" } });

    // Act
    render(<Profile />);

    // Assert
    expect(screen.getByTestId("user-name")).toHaveTextContent("Bob");
    expect(screen.queryByRole("img")).not.toBeInTheDocument();
  });
});
