import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { auth0Error, jsonResponse, mockLoggedIn } from "../test/auth0";
import { ExternalApi } from "./ExternalApi";

vi.mock("@auth0/auth0-react");

function stubFetch(impl: () => Promise<Response>) {
  const fetchMock = vi.fn<typeof fetch>(impl);
  vi.stubGlobal("fetch", fetchMock);
  return fetchMock;
}

describe("ExternalApi", () => {
  it("calls /api/external with the access token and shows the JSON answer when Ping API is clicked", async () => {
    // Arrange
    mockLoggedIn({ getAccessTokenSilently: vi.fn().mockResolvedValue("tok-abc") });
    const fetchMock = stubFetch(() =>
      Promise.resolve(jsonResponse(200, { msg: "Your access token was successfully validated!" })),
    );
    render(<ExternalApi />);

    // Act
    await userEvent.click(screen.getByTestId("ping-api"));

    // Assert
    const result = await screen.findByTestId("api-result");
    expect(JSON.parse(result.textContent ?? "")).toEqual({ msg: "Your access token was successfully validated!" });
    const [url, init] = fetchMock.mock.calls[0];
    expect(url).toBe("/api/external");
    expect(new Headers(init?.headers).get("Authorization")).toBe("Bearer tok-abc");
    expect(screen.queryByTestId("api-error")).not.toBeInTheDocument();
  });

  it("calls /api/private-scoped when Ping scoped API is clicked", async () => {
    // Arrange
    mockLoggedIn();
    const fetchMock = stubFetch(() => Promise.resolve(jsonResponse(200, { msg: "scoped ok" })));
    render(<ExternalApi />);

    // Act
    await userEvent.click(screen.getByTestId("ping-scoped-api"));

    // Assert
    expect(await screen.findByTestId("api-result")).toHaveTextContent("scoped ok");
    expect(fetchMock.mock.calls[0][0]).toBe("/api/private-scoped");
  });

  it.each([
    [401, "invalid_token", "Unexpected 'aud' value", "ping-api"],
    [403, "insufficient_scope", "Insufficient Scope", "ping-scoped-api"],
    [503, "temporarily_unavailable", "Signing keys are unreachable", "ping-api"],
  ])("shows HTTP %i with the API's error and error_description", async (status, error, description, button) => {
    // Arrange
    mockLoggedIn();
    stubFetch(() => Promise.resolve(jsonResponse(status, { error, error_description: description })));
    render(<ExternalApi />);

    // Act
    await userEvent.click(screen.getByTestId(button));

    // Assert
    const alert = await screen.findByTestId("api-error");
    expect(alert).toHaveTextContent(`HTTP ${status}`);
    expect(alert).toHaveTextContent(`${error}: ${description}`);
    expect(screen.queryByTestId("api-result")).not.toBeInTheDocument();
  });

  it("shows the SDK's error and does not call the API when getAccessTokenSilently rejects", async () => {
    // Arrange
    mockLoggedIn({ getAccessTokenSilently: vi.fn().mockRejectedValue(auth0Error("login_required", "Login required")) });
    const fetchMock = stubFetch(() => Promise.resolve(jsonResponse(200, {})));
    render(<ExternalApi />);

    // Act
    await userEvent.click(screen.getByTestId("ping-api"));

    // Assert
    const alert = await screen.findByTestId("api-error");
    expect(alert).toHaveTextContent("Could not get an access token");
    expect(alert).toHaveTextContent("login_required");
    expect(fetchMock).not.toHaveBeenCalled();
  });

  it("shows an error when the API cannot be reached", async () => {
    // Arrange
    mockLoggedIn();
    stubFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    render(<ExternalApi />);

    // Act
    await userEvent.click(screen.getByTestId("ping-api"));

    // Assert
    const alert = await screen.findByTestId("api-error");
    expect(alert).toHaveTextContent("Could not reach the API");
    expect(alert).toHaveTextContent("Failed to fetch");
  });

  it("re-enables the buttons after a failed call so the user can retry", async () => {
    // Arrange
    mockLoggedIn();
    stubFetch(() => Promise.reject(new TypeError("Failed to fetch")));
    render(<ExternalApi />);

    // Act
    await userEvent.click(screen.getByTestId("ping-api"));
    await screen.findByTestId("api-error");

    // Assert
    expect(screen.getByTestId("ping-api")).toBeEnabled();
    expect(screen.getByTestId("ping-scoped-api")).toBeEnabled();
  });
});
