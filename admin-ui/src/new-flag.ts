import type { FlagDocument, FlagEnvironment, JsonValue } from '@switchboard/core';
import { primaryVariant } from './flag-status';

/** The starting variants of a new flag of each kind; the first is served when on, the second when off. */
export const STARTING_VARIANTS: Record<
  'boolean' | 'string' | 'number' | 'json',
  Record<string, JsonValue>
> = {
  boolean: { on: true, off: false },
  string: { control: 'control', treatment: 'treatment' },
  number: { low: 0, high: 1 },
  json: { control: {}, treatment: { enabled: true } },
};

/** A flag's configuration in an environment before anyone touches it: off, serving its off variant. */
export function newEnvironmentConfig(flag: Pick<FlagDocument, 'variants'>): FlagEnvironment {
  const names = Object.keys(flag.variants);
  const offVariant = names.find((v) => flag.variants[v] === false) ?? names[names.length - 1] ?? '';
  const onVariant = primaryVariant(flag, names, offVariant);
  return {
    enabled: false,
    offVariant,
    fallthrough: { variant: onVariant },
    targets: [],
    rules: [],
    killed: null,
  };
}

export function newFlagDocument(
  input: { key: string; description: string; tags: string[]; variants: Record<string, JsonValue> },
  environments: string[],
): FlagDocument {
  const flag: FlagDocument = { key: input.key, variants: input.variants, environments: {}, version: 0 };
  if (input.description !== '') flag.description = input.description;
  if (input.tags.length > 0) flag.tags = input.tags;
  for (const env of environments) flag.environments[env] = newEnvironmentConfig(flag);
  return flag;
}
