import { useAuth0, withAuthenticationRequired } from "@auth0/auth0-react";
import { Route, Routes } from "react-router";
import { Loading } from "./components/Loading";
import { NavBar } from "./components/NavBar";
import { ExternalApi } from "./views/ExternalApi";
import { Home } from "./views/Home";
import { Profile } from "./views/Profile";

const redirecting = { onRedirecting: () => <Loading /> };
const ProtectedProfile = withAuthenticationRequired(Profile, redirecting);
const ProtectedExternalApi = withAuthenticationRequired(ExternalApi, redirecting);

export function App() {
  const { isLoading, error } = useAuth0();

  return (
    <div className="app">
      <NavBar />
      <main className="container">
        {error && (
          <div className="alert" role="alert" data-testid="auth-error">
            <strong>Authentication error</strong>
            <p>{error.message}</p>
          </div>
        )}
        {isLoading ? (
          <Loading />
        ) : (
          <Routes>
            <Route path="/" element={<Home />} />
            <Route path="/profile" element={<ProtectedProfile />} />
            <Route path="/external-api" element={<ProtectedExternalApi />} />
            <Route path="*" element={<NotFound />} />
          </Routes>
        )}
      </main>
    </div>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
    </section>
  );
}
