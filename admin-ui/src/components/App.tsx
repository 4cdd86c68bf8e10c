import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { AdminApi, ApiError, describeError } from '../api';
import type { Me } from '../api';
import { AppContext } from '../app-context';
import type { AppState } from '../app-context';
import { ChangeFeed } from '../live';
import type { FeedMode } from '../live';
import { abilitiesOf } from '../roles';
import { href, useRoute } from '../router';
import type { Route } from '../router';
import { forgetToken, storedToken, storeToken } from '../session';
import { AuditLog } from './AuditLog';
import { FlagList } from './FlagList';
import { FlagPage } from './FlagPage';
import { NewFlag } from './NewFlag';
import { Rollouts } from './Rollouts';
import { SignIn } from './SignIn';
import { Tokens } from './Tokens';
import { PageHeading } from './ui';
import { Webhooks } from './Webhooks';

interface Session {
  api: AdminApi;
  me: Me;
  environments: string[];
}

/** Checks a token with the server: who it is, and the environments it can see. */
async function openSession(token: string, onUnauthorized: () => void): Promise<Session> {
  const api = new AdminApi(token, { onUnauthorized });
  const me = await api.me();
  if (abilitiesOf(me.kind) === null) {
    throw new Error(
      `“${me.name}” is a ${me.kind} SDK key; sign in with an admin, editor, responder or viewer token.`,
    );
  }
  const { environments } = await api.environments();
  return { api, me, environments: environments.map((e) => e.key) };
}

export function App() {
  const [session, setSession] = useState<Session | null>(null);
  const [restoring, setRestoring] = useState(() => storedToken() !== null);
  const [signInError, setSignInError] = useState<string | null>(null);

  const signOut = useCallback((why: string | null) => {
    forgetToken();
    setSession(null);
    setSignInError(why);
  }, []);

  const signIn = useCallback(
    async (token: string) => {
      try {
        const opened = await openSession(token, () =>
          signOut('The server no longer accepts this token (it may have been revoked). Sign in again.'),
        );
        storeToken(token);
        setSignInError(null);
        setSession(opened);
      } catch (error) {
        forgetToken();
        setSignInError(
          error instanceof ApiError && error.status === 401
            ? 'That token was not accepted.'
            : describeError(error),
        );
      } finally {
        setRestoring(false);
      }
    },
    [signOut],
  );

  useEffect(() => {
    const token = storedToken();
    if (token !== null) void signIn(token);
  }, [signIn]);

  if (restoring) return <p class="loading">Signing in…</p>;
  if (session === null) return <SignIn onSubmit={signIn} error={signInError} />;
  return <SignedIn session={session} onSignOut={() => signOut(null)} />;
}

const ANNOUNCEMENT_MS = 6_000;

const FEED_LABELS: Record<FeedMode, string> = {
  connecting: 'Connecting…',
  streaming: 'Live',
  polling: 'Live (polling)',
  offline: 'Offline, retrying',
};

function SignedIn({ session, onSignOut }: { session: Session; onSignOut: () => void }) {
  const route = useRoute();
  const [message, setMessage] = useState('');
  const messageTimer = useRef<ReturnType<typeof setTimeout>>();
  // The status line is read out at once and disappears after a while, so it never hides the page for long.
  const announce = useCallback((text: string) => {
    setMessage(text);
    clearTimeout(messageTimer.current);
    messageTimer.current = setTimeout(() => setMessage(''), ANNOUNCEMENT_MS);
  }, []);
  const feed = useMemo(() => new ChangeFeed(session.api), [session.api]);
  const [feedMode, setFeedMode] = useState<FeedMode>(feed.mode);
  useEffect(() => {
    const unsubscribe = feed.onMode(setFeedMode);
    feed.start();
    return () => {
      unsubscribe();
      feed.stop();
    };
  }, [feed]);

  const app = useMemo<AppState>(
    () => ({
      ...session,
      can: abilitiesOf(session.me.kind)!,
      feed,
      announce,
    }),
    [session, feed, announce],
  );

  const nav: Array<{ label: string; route: Route; current: boolean }> = [
    { label: 'Flags', route: { page: 'flags' }, current: route.page === 'flags' || route.page === 'flag' },
    { label: 'Rollouts', route: { page: 'rollouts' }, current: route.page === 'rollouts' },
    { label: 'Audit log', route: { page: 'audit', filter: {} }, current: route.page === 'audit' },
  ];
  if (app.can.manageTokens) {
    nav.push({ label: 'Tokens', route: { page: 'tokens' }, current: route.page === 'tokens' });
  }
  if (app.can.manageWebhooks) {
    nav.push({ label: 'Webhooks', route: { page: 'webhooks' }, current: route.page === 'webhooks' });
  }

  return (
    <AppContext.Provider value={app}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href({ page: 'flags' })}>
          Switchboard
        </a>
        <nav aria-label="Main">
          {nav.map((item) => (
            <a key={item.label} href={href(item.route)} aria-current={item.current ? 'page' : undefined}>
              {item.label}
            </a>
          ))}
        </nav>
        <span class={`feed feed-${feedMode}`}>{FEED_LABELS[feedMode]}</span>
        <span class="who" title={`${session.me.name} (${session.me.kind})`}>
          {session.me.name} <span class="role">{session.me.kind}</span>
        </span>
        <button type="button" class="link" onClick={onSignOut}>
          Sign out
        </button>
      </header>
      <main id="main">
        <Page route={route} />
      </main>
      <p class="status" role="status" aria-live="polite">
        {message}
      </p>
    </AppContext.Provider>
  );
}

function Page({ route }: { route: Route }) {
  switch (route.page) {
    case 'flags':
      return <FlagList />;
    case 'flag':
      return <FlagPage key={route.key} flagKey={route.key} environment={route.environment} />;
    case 'new-flag':
      return <NewFlag />;
    case 'audit':
      return <AuditLog filter={route.filter} />;
    case 'tokens':
      return <Tokens />;
    case 'rollouts':
      return <Rollouts />;
    case 'webhooks':
      return <Webhooks />;
    case 'not-found':
      return <PageHeading>Page not found</PageHeading>;
  }
}
