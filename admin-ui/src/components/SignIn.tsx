import { useState } from 'preact/hooks';

interface SignInProps {
  onSubmit: (token: string) => Promise<void>;
  error: string | null;
}

export function SignIn({ onSubmit, error }: SignInProps) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  return (
    <main id="main" class="sign-in">
      <form
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          await onSubmit(token.trim());
          setBusy(false);
        }}
      >
        <h1>Switchboard</h1>
        <p>Sign in with an admin, editor, responder or viewer token.</p>
        <label for="token">Token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          spellcheck={false}
          required
          autoFocus
          value={token}
          onInput={(e) => setToken(e.currentTarget.value)}
          aria-describedby={error === null ? undefined : 'sign-in-error'}
        />
        {error === null ? null : (
          <p id="sign-in-error" class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p class="hint">
          The token is kept in this tab only (session storage) and sent in a header, never in a URL.
        </p>
      </form>
    </main>
  );
}
