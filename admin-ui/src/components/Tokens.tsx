import { useEffect, useRef, useState } from 'preact/hooks';
import type { CreatedToken, TokenInfo, TokenKind } from '../api';
import { useApp } from '../app-context';
import { Dialog, ErrorMessage, PageHeading, RelativeTime, useLoad } from './ui';

const KINDS: Array<{ kind: TokenKind; description: string }> = [
  { kind: 'admin', description: 'everything, including tokens' },
  { kind: 'editor', description: 'edit flags and segments' },
  { kind: 'responder', description: 'read, kill and unkill' },
  { kind: 'viewer', description: 'read only' },
  { kind: 'server', description: 'server-side SDK key for one environment' },
  { kind: 'client', description: 'browser SDK key for one environment: evaluates, never reads rules' },
];

const needsEnvironment = (kind: TokenKind) => kind === 'server' || kind === 'client';

export function Tokens() {
  const { can } = useApp();
  if (can.manageTokens) return <TokenManager />;
  return (
    <section>
      <PageHeading>Tokens</PageHeading>
      <p>Only admin tokens can manage tokens.</p>
    </section>
  );
}

function TokenManager() {
  const { api } = useApp();
  const list = useLoad(() => api.tokens(), 'tokens');
  const [created, setCreated] = useState<CreatedToken | null>(null);
  const [revoking, setRevoking] = useState<TokenInfo | null>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);

  return (
    <section>
      <PageHeading>Tokens</PageHeading>
      <CreateToken
        onCreated={(token) => {
          setCreated(token);
          void list.reload();
        }}
      />
      {created === null ? null : <NewSecret token={created} onDone={() => setCreated(null)} />}
      <h2 ref={listHeading} tabIndex={-1}>
        Existing tokens
      </h2>
      <ErrorMessage error={list.error} />
      {list.data === null ? null : (
        <table class="tokens">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Kind</th>
              <th scope="col">Environment</th>
              <th scope="col">Created</th>
              <th scope="col">Status</th>
              <th scope="col">
                <span class="visually-hidden">Revoke</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.data.tokens.map((token) => (
              <tr key={token.id}>
                <th scope="row">{token.name}</th>
                <td data-label="Kind">{token.kind}</td>
                <td data-label="Environment">{token.environment ?? '—'}</td>
                <td data-label="Created">
                  <RelativeTime iso={token.createdAt} />
                </td>
                <td data-label="Status">
                  {token.revokedAt === null ? (
                    'active'
                  ) : (
                    <>
                      revoked <RelativeTime iso={token.revokedAt} />
                    </>
                  )}
                </td>
                <td>
                  {token.revokedAt === null ? (
                    <button type="button" class="small danger-text" onClick={() => setRevoking(token)}>
                      Revoke {token.name}
                    </button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {revoking === null ? null : (
        <RevokeDialog
          token={revoking}
          onClose={() => setRevoking(null)}
          onRevoked={async () => {
            setRevoking(null);
            await list.reload();
            listHeading.current?.focus();
          }}
        />
      )}
    </section>
  );
}

function CreateToken({ onCreated }: { onCreated: (token: CreatedToken) => void }) {
  const { api, environments, announce } = useApp();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<TokenKind>('viewer');
  const [environment, setEnvironment] = useState(environments[0] ?? '');
  const [error, setError] = useState<unknown>(null);
  return (
    <form
      class="card filters"
      aria-label="Create a token"
      onSubmit={async (event) => {
        event.preventDefault();
        setError(null);
        try {
          const token = await api.createToken({
            name: name.trim(),
            kind,
            ...(needsEnvironment(kind) ? { environment } : {}),
          });
          setName('');
          announce(`Created token ${token.name}; copy it now, it is shown only once`);
          onCreated(token);
        } catch (err) {
          setError(err);
        }
      }}
    >
      <label>
        Name
        <input value={name} required maxLength={200} onInput={(e) => setName(e.currentTarget.value)} />
      </label>
      <label>
        Kind
        <select value={kind} onChange={(e) => setKind(e.currentTarget.value as TokenKind)}>
          {KINDS.map((k) => (
            <option key={k.kind} value={k.kind}>
              {k.kind} — {k.description}
            </option>
          ))}
        </select>
      </label>
      {needsEnvironment(kind) ? (
        <label>
          Environment
          <select value={environment} onChange={(e) => setEnvironment(e.currentTarget.value)}>
            {environments.map((env) => (
              <option key={env} value={env}>
                {env}
              </option>
            ))}
          </select>
        </label>
      ) : null}
      <div class="actions">
        <button type="submit" class="primary">
          Create token
        </button>
      </div>
      <ErrorMessage error={error} />
    </form>
  );
}

/** The secret, shown this once: the server stores only its hash. */
function NewSecret({ token, onDone }: { token: CreatedToken; onDone: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  const secret = useRef<HTMLInputElement>(null);
  const [copyState, setCopyState] = useState<'idle' | 'copied' | 'select'>('idle');
  useEffect(() => box.current?.focus(), [token]);
  return (
    <div class="card secret" ref={box} tabIndex={-1} role="region" aria-label={`New token ${token.name}`}>
      <h2>Token “{token.name}” created</h2>
      <p>Copy it now: it is shown only once and cannot be recovered.</p>
      {copyState === 'select' ? <p role="status">Selected: press Ctrl+C (⌘C) to copy.</p> : null}
      <div class="secret-row">
        <input
          ref={secret}
          readOnly
          aria-label="Token secret"
          value={token.token}
          onFocus={(e) => e.currentTarget.select()}
        />
        <button
          type="button"
          onClick={async () => {
            try {
              await navigator.clipboard.writeText(token.token);
              setCopyState('copied');
            } catch {
              // No clipboard access (an insecure origin, a denied permission): let the user copy it.
              secret.current?.select();
              setCopyState('select');
            }
          }}
        >
          {copyState === 'copied' ? 'Copied' : 'Copy'}
        </button>
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

function RevokeDialog({
  token,
  onClose,
  onRevoked,
}: {
  token: TokenInfo;
  onClose: () => void;
  onRevoked: () => Promise<void>;
}) {
  const { api, announce } = useApp();
  const [error, setError] = useState<unknown>(null);
  return (
    <Dialog title={`Revoke ${token.name}?`} onClose={onClose}>
      <p>
        Requests with this {token.kind} token fail from now on
        {needsEnvironment(token.kind) ? ' and its open streams close' : ''}.
      </p>
      <ErrorMessage error={error} />
      <div class="actions">
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button
          type="button"
          class="danger"
          onClick={async () => {
            try {
              await api.revokeToken(token.id);
              announce(`Revoked ${token.name}`);
              await onRevoked();
            } catch (err) {
              setError(err);
            }
          }}
        >
          Revoke
        </button>
      </div>
    </Dialog>
  );
}
