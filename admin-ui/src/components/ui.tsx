import type { ComponentChildren } from 'preact';
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../api';
import type { EnvironmentStatus } from '../flag-status';

/** The page's h1; takes focus when the page opens so keyboard and screen-reader users start there. */
export function PageHeading({ children }: { children: ComponentChildren }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}

export function ErrorMessage({ error }: { error: unknown }) {
  if (error === null || error === undefined) return null;
  return (
    <p class="error" role="alert">
      {describeError(error)}
    </p>
  );
}

export interface Loaded<T> {
  data: T | null;
  error: unknown;
  loading: boolean;
  reload: () => Promise<void>;
}

/** Loads data when `key` changes; `reload()` fetches again and keeps the old data until the new arrives. */
export function useLoad<T>(load: () => Promise<T>, key: string): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(true);
  const generation = useRef(0);
  const latestLoad = useRef(load);
  latestLoad.current = load;
  const reload = useCallback(async () => {
    const mine = ++generation.current;
    setLoading(true);
    try {
      const value = await latestLoad.current();
      if (mine !== generation.current) return;
      setData(value);
      setError(null);
    } catch (err) {
      if (mine === generation.current) setError(err);
    } finally {
      if (mine === generation.current) setLoading(false);
    }
  }, []);
  useEffect(() => {
    setData(null);
    void reload();
  }, [key, reload]);
  return { data, error, loading, reload };
}

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ComponentChildren;
}

/** A modal dialog (native <dialog>: focus moves in, Escape closes, the page behind is inert). */
export function Dialog({ title, onClose, children }: DialogProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const titleId = useRef(`dialog-${Math.random().toString(36).slice(2)}`).current;
  const latestOnClose = useRef(onClose);
  latestOnClose.current = onClose;
  // Opened as the dialog renders, not after the next paint: keys typed right after the one that opened it
  // go to the dialog, never to the page behind.
  useLayoutEffect(() => {
    const element = dialog.current;
    if (element === null) return;
    const close = () => latestOnClose.current();
    element.showModal();
    element.addEventListener('close', close);
    return () => {
      element.removeEventListener('close', close);
      if (element.open) element.close();
    };
  }, []);
  return (
    <dialog ref={dialog} aria-labelledby={titleId}>
      <h2 id={titleId}>{title}</h2>
      {children}
    </dialog>
  );
}

export function StatusPill({ status, environment }: { status: EnvironmentStatus; environment?: string }) {
  return (
    <span class={`pill pill-${status.state}`}>
      {environment === undefined ? null : <span class="pill-env">{environment}</span>}
      {status.label}
    </span>
  );
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 31_536_000],
  ['month', 2_592_000],
  ['day', 86_400],
  ['hour', 3_600],
  ['minute', 60],
  ['second', 1],
];

/** "3 minutes ago", with the exact time as a tooltip and in the datetime attribute. */
export function RelativeTime({ iso }: { iso: string }) {
  const time = new Date(iso);
  const seconds = Math.round((time.getTime() - Date.now()) / 1000);
  const [unit, size] = UNITS.find(([, s]) => Math.abs(seconds) >= s) ?? ['second', 1];
  return (
    <time dateTime={iso} title={time.toLocaleString()}>
      {relative.format(Math.round(seconds / size), unit)}
    </time>
  );
}

/**
 * Text a user types for a structured value (a list, a number, JSON): shown exactly as typed while it still
 * means `formatted`, replaced by `formatted` when the value changed elsewhere (a reload, a merge, a slider).
 */
export function useTypedText(
  formatted: string,
  normalize: (text: string) => string,
): [string, (text: string) => void] {
  const [text, setText] = useState(formatted);
  return [normalize(text) === formatted ? text : formatted, setText];
}
