/** Shown while the SDK initialises and while `withAuthenticationRequired` redirects to log in. */
export function Loading() {
  return (
    <div className="loading" data-testid="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      Loading…
    </div>
  );
}
