import { useEffect, useState } from 'preact/hooks';

/** Hash routes: the server serves one index.html, and a token never appears in any of these URLs. */
export type Route =
  | { page: 'flags' }
  | { page: 'flag'; key: string; environment?: string }
  | { page: 'new-flag' }
  | { page: 'audit'; filter: Record<string, string> }
  | { page: 'tokens' }
  | { page: 'rollouts' }
  | { page: 'webhooks' }
  | { page: 'not-found' };

export function parseRoute(hash: string): Route {
  const [pathPart = '', queryPart = ''] = hash.replace(/^#/, '').split('?');
  const parts = pathPart.split('/').filter((p) => p !== '');
  const query = Object.fromEntries(new URLSearchParams(queryPart));
  try {
    const [first, key, environment] = parts.map(decodeURIComponent);
    if (first === undefined || (first === 'flags' && key === undefined)) return { page: 'flags' };
    if (first === 'flags' && key !== undefined) {
      return environment === undefined ? { page: 'flag', key } : { page: 'flag', key, environment };
    }
    if (first === 'new') return { page: 'new-flag' };
    if (first === 'audit') return { page: 'audit', filter: query };
    if (first === 'tokens') return { page: 'tokens' };
    if (first === 'rollouts') return { page: 'rollouts' };
    if (first === 'webhooks') return { page: 'webhooks' };
  } catch {
    // A malformed %-escape in a hand-typed URL.
  }
  return { page: 'not-found' };
}

export function href(route: Route): string {
  switch (route.page) {
    case 'flags':
      return '#/flags';
    case 'flag': {
      const base = `#/flags/${encodeURIComponent(route.key)}`;
      return route.environment === undefined ? base : `${base}/${encodeURIComponent(route.environment)}`;
    }
    case 'new-flag':
      return '#/new';
    case 'audit': {
      const query = new URLSearchParams(route.filter).toString();
      return query === '' ? '#/audit' : `#/audit?${query}`;
    }
    case 'tokens':
      return '#/tokens';
    case 'rollouts':
      return '#/rollouts';
    case 'webhooks':
      return '#/webhooks';
    case 'not-found':
      return '#/';
  }
}

export function navigate(route: Route, options: { replace?: boolean } = {}): void {
  if (options.replace === true) {
    history.replaceState(null, '', href(route));
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    location.hash = href(route);
  }
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener('hashchange', update);
    return () => window.removeEventListener('hashchange', update);
  }, []);
  return route;
}
