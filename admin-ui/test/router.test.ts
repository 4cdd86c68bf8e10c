import { describe, expect, it } from 'vitest';
import { href, parseRoute } from '../src/router';
import type { Route } from '../src/router';

describe('routes', () => {
  const routes: Route[] = [
    { page: 'flags' },
    { page: 'flag', key: 'checkout-v2' },
    { page: 'flag', key: 'odd?key#with%chars', environment: 'production' },
    { page: 'flag', key: 'über-flag' },
    { page: 'new-flag' },
    { page: 'audit', filter: { flag: 'checkout-v2', action: 'flag.kill' } },
    { page: 'tokens' },
    { page: 'rollouts' },
    { page: 'webhooks' },
  ];

  it.each(routes)('round-trips %j through the URL hash', (route) => {
    expect(parseRoute(href(route))).toEqual(route);
  });

  it('opens the flag list for an empty hash and names unknown pages', () => {
    expect(parseRoute('')).toEqual({ page: 'flags' });
    expect(parseRoute('#/nowhere')).toEqual({ page: 'not-found' });
    expect(parseRoute('#/flags/%E0%A4%A')).toEqual({ page: 'not-found' });
  });
});
