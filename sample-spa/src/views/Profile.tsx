import { useAuth0 } from "@auth0/auth0-react";

/** The logged-in user's ID-token claims. Protected by `withAuthenticationRequired` in App. */
export function Profile() {
  const { user } = useAuth0();
  if (!user) return null;

  return (
    <section>
      <div className="profile-header">
        {user.picture && <img className="avatar" src={user.picture} alt={user.name ?? "Profile picture"} />}
        <div>
          <h1 data-testid="user-name">{user.name}</h1>
          <p className="muted" data-testid="user-email">
            {user.email}
          </p>
        </div>
      </div>
      <pre data-testid="profile-json">{JSON.stringify(user, null, 2)}</pre>
    </section>
  );
}
