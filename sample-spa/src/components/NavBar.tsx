import { useAuth0 } from "@auth0/auth0-react";
import { NavLink } from "react-router";

export function NavBar() {
  const { isAuthenticated, isLoading, loginWithRedirect, logout } = useAuth0();

  return (
    <header className="navbar">
      <span className="brand">Sample SPA</span>
      {isAuthenticated && (
        <nav className="nav-links" aria-label="Main">
          <NavLink to="/" end data-testid="nav-home">
            Home
          </NavLink>
          <NavLink to="/profile" data-testid="nav-profile">
            Profile
          </NavLink>
          <NavLink to="/external-api" data-testid="nav-external-api">
            External API
          </NavLink>
        </nav>
      )}
      <span className="nav-actions">
        {/* Neither button until the SDK knows whether there is a session. */}
        {!isLoading &&
          (isAuthenticated ? (
            <button
              type="button"
              data-testid="logout-button"
              onClick={() => void logout({ logoutParams: { returnTo: window.location.origin } })}
            >
              Log out
            </button>
          ) : (
            <button
              type="button"
              className="primary"
              data-testid="login-button"
              onClick={() => void loginWithRedirect()}
            >
              Log in
            </button>
          ))}
      </span>
    </header>
  );
}
