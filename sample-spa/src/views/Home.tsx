import { useAuth0 } from "@auth0/auth0-react";

export function Home() {
  const { isAuthenticated, user } = useAuth0();

  return (
    <section className="hero">
      <h1>Calling an API</h1>
      <p>
        This single-page app logs you in with Auth0 (or the local mock identity provider), gets an access token for the
        API audience, and calls a protected API with it.
      </p>
      {isAuthenticated ? (
        <p>
          Welcome{user?.name ? `, ${user.name}` : ""}. Open <strong>External API</strong> to call the API.
        </p>
      ) : (
        <p>Log in to see your profile and call the API.</p>
      )}
    </section>
  );
}
