import type { DeleteEvent, EnvironmentRuleset, PatchEvent } from '@switchboard/core';

/**
 * Shape checks for what arrives from the network or a file: enough to never hand core a value of
 * the wrong kind. The server validated the documents themselves when they were written.
 */

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isVersion = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

export function isEnvironmentRuleset(value: unknown): value is EnvironmentRuleset {
  return (
    isObject(value) &&
    typeof value.environment === 'string' &&
    isVersion(value.version) &&
    isObject(value.flags) &&
    isObject(value.segments) &&
    Object.values(value.flags).every(isObject) &&
    Object.values(value.segments).every(isObject)
  );
}

export function isPatchEvent(value: unknown): value is PatchEvent {
  return (
    isObject(value) &&
    isVersion(value.version) &&
    (value.kind === 'flag' || value.kind === 'segment') &&
    typeof value.key === 'string' &&
    isObject(value.value)
  );
}

export function isDeleteEvent(value: unknown): value is DeleteEvent {
  return (
    isObject(value) &&
    isVersion(value.version) &&
    (value.kind === 'flag' || value.kind === 'segment') &&
    typeof value.key === 'string'
  );
}
