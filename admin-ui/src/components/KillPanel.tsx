import type { FlagDocument } from '@switchboard/core';
import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from '../api';
import type { SdkStatus } from '../api';
import { useApp } from '../app-context';
import { KillDialog } from './KillDialog';
import { ErrorMessage, RelativeTime } from './ui';

interface KillPanelProps {
  flag: FlagDocument;
  environment: string;
  /** Runs a kill or unkill request; the page takes in the document it answers. */
  onWrite: (request: () => Promise<FlagDocument>) => Promise<void>;
}

/** The kill switch of one environment: prominent, one confirmation with a reason, unkill restores. */
export function KillPanel({ flag, environment, onWrite }: KillPanelProps) {
  const { api, can, announce } = useApp();
  const [confirming, setConfirming] = useState(false);
  const [killedHere, setKilledHere] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  // After a kill or unkill the other button replaces the one pressed; focus follows it.
  const focusNext = useRef(false);
  const button = useRef<HTMLButtonElement>(null);
  const killed = flag.environments[environment]?.killed ?? null;
  const offVariant = flag.environments[environment]?.offVariant ?? '';

  useEffect(() => {
    if (focusNext.current) button.current?.focus();
    focusNext.current = false;
  }, [killed]);

  const unkill = async () => {
    setBusy(true);
    setError(null);
    try {
      focusNext.current = true;
      await onWrite(() => api.unkill(flag.key, environment));
      setKilledHere(false);
      announce(`${flag.key} unkilled in ${environment}; its previous state is restored`);
    } catch (err) {
      focusNext.current = false;
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class={killed ? 'kill killed' : 'kill'} aria-labelledby={`kill-${environment}`}>
      <h3 id={`kill-${environment}`}>{killed ? `Killed in ${environment}` : 'Kill switch'}</h3>
      {killed ? (
        <p>
          Serving <strong>{offVariant}</strong> to everyone since <RelativeTime iso={killed.at} />, by{' '}
          {killed.by}: <q class="reason">{killed.reason}</q>
        </p>
      ) : (
        <p>
          Turns the flag off in {environment} at once: every SDK serves {offVariant}, whatever else is
          configured.
        </p>
      )}
      {can.kill ? (
        killed ? (
          <button type="button" ref={button} disabled={busy} onClick={unkill}>
            Unkill in {environment}
          </button>
        ) : (
          <button type="button" ref={button} class="danger big" onClick={() => setConfirming(true)}>
            Kill in {environment}…
          </button>
        )
      ) : null}
      <ErrorMessage error={error} />
      {killed && killedHere ? <Acknowledgements environment={environment} /> : null}
      {confirming ? (
        <KillDialog
          title={`Kill ${flag.key} in ${environment}?`}
          confirmLabel={`Kill in ${environment}`}
          onClose={() => {
            setConfirming(false);
            if (!focusNext.current) button.current?.focus();
          }}
          onConfirm={async (reason) => {
            focusNext.current = true;
            try {
              await onWrite(() => api.kill(flag.key, environment, reason));
            } catch (err) {
              focusNext.current = false;
              throw err;
            }
            setKilledHere(true);
            setConfirming(false);
            announce(`${flag.key} killed in ${environment}`);
          }}
        >
          <p>
            Every SDK connected to <strong>{environment}</strong> will serve <strong>{offVariant}</strong> for{' '}
            <strong>{flag.key}</strong> until someone unkills it.
          </p>
        </KillDialog>
      ) : null}
    </section>
  );
}

const ACK_POLL_MS = 1_000;
const ACK_WATCH_MS = 60_000;

/**
 * How many connected SDK streams have been sent the kill. The first read after the kill names the
 * environment's sequence, which includes it; later reads count the streams sent that sequence or later.
 */
function Acknowledgements({ environment }: { environment: string }) {
  const { api } = useApp();
  const [status, setStatus] = useState<SdkStatus | null>(null);
  useEffect(() => {
    let stopped = false;
    let seq: number | undefined;
    const started = Date.now();
    const read = async () => {
      try {
        const next = await api.sdkStatus(environment, seq);
        if (stopped) return;
        seq ??= next.seq;
        setStatus(next);
      } catch (err) {
        // An older server without the route: the panel stays hidden.
        if (err instanceof ApiError && err.isMissingRoute) return;
      }
      if (!stopped && Date.now() - started < ACK_WATCH_MS) timer = setTimeout(read, ACK_POLL_MS);
    };
    let timer = setTimeout(read, 0);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [api, environment]);
  if (status === null) return null;
  const { connected, acknowledged } = status;
  return (
    <p class="acks" aria-live="polite">
      {connected === 0
        ? `No SDK is connected to ${environment} right now.`
        : `${acknowledged} of ${connected} connected SDK${connected === 1 ? '' : 's'} in ${environment} ${
            acknowledged === 1 ? 'has' : 'have'
          } received the kill.`}
    </p>
  );
}
