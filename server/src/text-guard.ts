/**
 * No request may carry U+0000 in any string (body, query, path). PostgreSQL text cannot hold it, so
 * it would fail there; refusing it up front keeps the answer the same on both stores: a 400 naming
 * where it was, with nothing changed.
 *
 * Nor may a body carry `__proto__` or `constructor.prototype` keys, which reach a prototype when an
 * object is merged. JSON.parse keeps them as plain own keys (createHttpApp lets them through the
 * parser, which would call such a body "not valid JSON"); they are refused here with their path.
 */
import type { FastifyInstance } from 'fastify';
import { escapePointer } from './audit/diff';
import { badRequest } from './errors';

type KeyTest = (key: string, parentKey: string | undefined) => boolean;

/** The JSON pointer of the first string or object key that fails its test, or null. */
function findText(
  value: unknown,
  root: string,
  badString: (text: string) => boolean,
  badKey: KeyTest,
): string | null {
  // Iterative: a deeply nested body must not overflow the stack.
  const pending: Array<[unknown, string, string | undefined]> = [[value, root, undefined]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, path, itemKey] = next;
    if (typeof item === 'string') {
      if (badString(item)) return path;
    } else if (Array.isArray(item)) {
      for (let index = item.length - 1; index >= 0; index--)
        pending.push([item[index], `${path}/${index}`, undefined]);
    } else if (typeof item === 'object' && item !== null) {
      for (const [key, child] of Object.entries(item).reverse()) {
        const childPath = `${path}/${escapePointer(key)}`;
        if (badKey(key, itemKey)) return childPath;
        pending.push([child, childPath, key]);
      }
    }
  }
  return null;
}

const hasNul = (text: string) => text.includes('\u0000');

/** The JSON pointer of the first string (or object key) containing U+0000, or null. */
export function findNulCharacter(value: unknown, root: string): string | null {
  return findText(value, root, hasNul, hasNul);
}

/** The JSON pointer of the first `__proto__` key, or `prototype` key inside `constructor`, or null. */
export function findPrototypeKey(value: unknown, root: string): string | null {
  return findText(
    value,
    root,
    () => false,
    (key, parentKey) => key === '__proto__' || (key === 'prototype' && parentKey === 'constructor'),
  );
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
    const path = findPrototypeKey(request.body, '/body');
    if (path !== null) {
      throw badRequest('the body may not have "__proto__" or "constructor.prototype" keys', [
        { path, problem: 'forbidden key' },
      ]);
    }
  });
}
