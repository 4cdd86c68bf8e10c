/**
 * No request may carry U+0000 in any string (body, query, path). PostgreSQL text cannot hold it, so
 * it would fail there; refusing it up front keeps the answer the same on both stores: a 400 naming
 * where it was, with nothing changed.
 */
import type { FastifyInstance } from 'fastify';
import { escapePointer } from './audit/diff';
import { badRequest } from './errors';

/** The JSON pointer of the first string (or object key) containing U+0000, or null. */
export function findNulCharacter(value: unknown, root: string): string | null {
  // Iterative: a deeply nested body must not overflow the stack.
  const pending: Array<[unknown, string]> = [[value, root]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (item.includes('\u0000')) return path;
    } else if (Array.isArray(item)) {
      for (let index = item.length - 1; index >= 0; index--) pending.push([item[index], `${path}/${index}`]);
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item).reverse()) {
        const childPath = `${path}/${escapePointer(key)}`;
        if (key.includes('\u0000')) return childPath;
        pending.push([child, childPath]);
      }
    }
  }
  return null;
}

export function installTextGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const parts = { params: request.params, querystring: request.query, body: request.body };
    for (const [part, value] of Object.entries(parts)) {
      const path = findNulCharacter(value, `/${part}`);
      if (path !== null) {
        throw badRequest('text may not contain the NUL character (U+0000)', [
          { path, problem: 'contains U+0000' },
        ]);
      }
    }
  });
}
