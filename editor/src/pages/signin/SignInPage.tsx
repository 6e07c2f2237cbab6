import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, errorText } from '../../api/client';
import { gateway } from '../../api/endpoints';
import { setSession } from '../../api/session';
import { ErrorText } from '../../components/Notice';

function signInMessage(error: unknown): string {
  if (error instanceof ApiError) {
    if (error.status === 401) return 'Wrong username or password.';
    if (error.status === 423)
      return 'This account is locked after too many failed attempts. Ask an administrator to unlock it.';
    if (error.status === 429) return 'Too many attempts: wait a moment and try again.';
  }
  return `Could not sign in: ${errorText(error)}`;
}

/** Sign in with a gateway user; the session token is kept for this tab, the cookie serves the live stream. */
export function SignInPage() {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const [ssoUrl, setSsoUrl] = useState<string>();

  useEffect(() => {
    gateway
      .providers()
      .then((p) => p.oidc && setSsoUrl(`${p.oidc.loginUrl}?returnTo=${encodeURIComponent('/outcomes?sso=1')}`))
      .catch((e: unknown) => console.warn('sign-in providers unavailable', errorText(e)));
    // Back from single sign-on: the gateway set the session cookie; ask who we are.
    if (new URLSearchParams(window.location.search).get('sso') !== '1') return;
    gateway
      .me()
      .then((user) => setSession({ token: '', expiresAt: new Date(Date.now() + 8 * 3600_000).toISOString(), user }))
      .catch((e: unknown) => setError(`Single sign-on did not complete: ${errorText(e)}`));
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      setSession(await gateway.login(username.trim(), password));
    } catch (e) {
      setError(signInMessage(e));
      setPassword('');
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <form className="signin-card form" onSubmit={submit} aria-labelledby="signin-title">
        <div className="brand brand-large">
          <span className="brand-mark" aria-hidden="true" />
          Loopgate
        </div>
        <h1 id="signin-title">Sign in to the console</h1>
        <p className="muted">Rules, live write-back outcomes, approvals and audit for the governed MES gateway.</p>
        <label htmlFor="username">Username</label>
        <input
          id="username"
          name="username"
          autoComplete="username"
          required
          autoFocus
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <ErrorText error={error} />
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        {ssoUrl && (
          <a className="button button-block" href={ssoUrl}>
            Sign in with single sign-on
          </a>
        )}
      </form>
    </main>
  );
}
