/** The evaluation context a browser (or an OFREP provider) sends, and its bounds. */
import { LIMITS } from '@switchboard/core';
import type { Context } from '@switchboard/core';
import Type from 'typebox';

export const MAX_CONTEXT_ATTRIBUTES = 100;

/** A plain object of attributes, e.g. `{ userId, country, plan }` (the request body limit bounds values). */
export const ContextSchema = Type.Record(Type.String(), Type.Unknown(), {
  maxProperties: MAX_CONTEXT_ATTRIBUTES,
  propertyNames: { maxLength: LIMITS.attributeLength },
  description: 'Attributes of the user or device, e.g. { "userId": "u-1", "country": "DE" }',
});

/**
 * OpenFeature's `targetingKey` is Switchboard's `userId` (the default attribute of targets and rollouts);
 * a context that names its own `userId` keeps it.
 */
export function fromOpenFeatureContext(context: Record<string, unknown>): Context {
  const { targetingKey, ...attributes } = context;
  if (targetingKey !== undefined && attributes.userId === undefined) attributes.userId = targetingKey;
  return attributes;
}
