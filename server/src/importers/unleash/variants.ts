/**
 * Unleash variants as Switchboard variants and serves (unleash-client 6: lib/variant.js).
 *
 * Every imported flag has the variants `off` (value false: the feature is off) and `on` (value true: on,
 * without a variant), plus one per distinct Unleash variant, valued `{ name, payload? }`. unleashCompat turns
 * these back into Unleash's `getVariant` answers.
 *
 * Unleash picks a variant in this order: none when the weights sum to 0; else the first variant with an
 * override matching the context; else by `murmur3("groupId:stickinessValue", 86028157) % totalWeight`, the
 * variants taking consecutive ranges in order (a Switchboard rollout with that seed and bucket count). The
 * stickiness value is the field named by the first variant's `stickiness` (default: the userId, else the
 * sessionId, else the remoteAddress); without one, Unleash picks at random.
 */
import type { Serve, VariantValue } from '@switchboard/core';
import type { NoteSink } from './conditions';
import type { Hashing } from './strategies';
import { Conjunction, Untranslatable } from './conditions';
import { attributeOf } from './constraints';
import type { Loose } from './payload';

export const OFF = 'off';
export const ON = 'on';
const VARIANT_SEED = 86028157;
/** Switchboard bounds a rollout to 100 weights and variant names to 200 characters. */
const MAX_VARIANTS = 100;
const MAX_NAME_LENGTH = 200;
/** The fields Unleash's default variant stickiness tries, in order. */
const DEFAULT_STICKINESS = ['userId', 'sessionId', 'remoteAddress'];

/** What a Switchboard variant of an imported flag means to Unleash code. */
export type UnleashMeaning = { enabled: false } | { enabled: true; name: string };

/** The Unleash meaning of a variant value, or null for values an import never creates. */
export function meaningOf(value: VariantValue): UnleashMeaning | null {
  if (value === false) return { enabled: false };
  if (value === true) return { enabled: true, name: 'disabled' };
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value.name === 'string')
    return { enabled: true, name: value.name };
  return null;
}

function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  return (
    keysA.length === keysB.length &&
    keysA.every(
      (key) =>
        Object.hasOwn(b, key) &&
        sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]),
    )
  );
}

/** A flag's variants: those it already had, plus a key for each new value (reusing equal ones). */
export class VariantRegistry {
  readonly variants: Record<string, VariantValue>;

  constructor(existing: Record<string, VariantValue> | undefined) {
    this.variants = { ...existing };
  }

  /** The key holding `value`: `preferred` if free or equal, else `preferred-2`, `preferred-3`, … */
  key(preferred: string, value: VariantValue): string {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? preferred : `${preferred}-${n}`;
      if (!Object.hasOwn(this.variants, candidate)) {
        this.variants[candidate] = value;
        return candidate;
      }
      if (sameJson(this.variants[candidate], value)) return candidate;
    }
  }
}

/** One branch of a variant choice: when `when` holds (and no earlier branch did), serve `serve`. */
export interface Branch {
  when: Conjunction;
  serve: Serve;
}

interface Definition {
  key: string;
  weight: number;
  overrides: Array<{ attribute: string; values: string[] }>;
}

/** The variant definitions, checked the way the SDK's arithmetic needs them; Untranslatable otherwise. */
function definitions(variants: unknown[], registry: VariantRegistry, where: string): Definition[] {
  if (variants.length > MAX_VARIANTS)
    throw new Untranslatable(`${where}: more than ${MAX_VARIANTS} variants`);
  return variants.map((variant, i) => {
    const at = `${where}, variant ${i + 1}`;
    if (typeof variant !== 'object' || variant === null) throw new Untranslatable(`${at}: not an object`);
    const { name, weight, payload, overrides } = variant as Loose;
    if (typeof name !== 'string') throw new Untranslatable(`${at}: the name is not a string`);
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0)
      throw new Untranslatable(`${at}: weight ${JSON.stringify(weight)} is not a whole number ≥ 0`);
    const value: VariantValue = payload === undefined ? { name } : { name, payload: payload as VariantValue };
    const preferred = name.length >= 1 && name.length <= MAX_NAME_LENGTH ? name : `variant-${i + 1}`;
    return { key: registry.key(preferred, value), weight, overrides: overridesOf(overrides, at) };
  });
}

function overridesOf(overrides: unknown, where: string): Definition['overrides'] {
  if (!overrides) return [];
  if (!Array.isArray(overrides)) throw new Untranslatable(`${where}: overrides is not a list`);
  return overrides.map((override, j) => {
    const at = `${where}, override ${j + 1}`;
    if (typeof override !== 'object' || override === null || !Array.isArray((override as Loose).values))
      throw new Untranslatable(`${at}: needs a list of values`);
    const { contextName, values } = override as { contextName: unknown; values: unknown[] };
    // The SDK compares with the context value as a string: other values never match.
    const strings = values.filter((value): value is string => typeof value === 'string');
    return { attribute: attributeOf(contextName, at), values: [...new Set(strings)] };
  });
}

/** The conjunctions choosing each stickiness field in turn, Unleash's first-non-empty order. */
function stickinessBranches(stickiness: string): Array<{ attribute: string; when: Conjunction }> {
  const fields = stickiness === 'default' ? DEFAULT_STICKINESS : [stickiness];
  return fields.map((attribute, i) => {
    let when = Conjunction.nonEmpty(attribute);
    for (const earlier of fields.slice(0, i))
      when = Conjunction.nonEmpty(earlier, false).and(when) as Conjunction;
    return { attribute, when };
  });
}

/**
 * How Unleash picks among `variants` (those of a feature, or of a strategy), as ordered branches whose last
 * one always holds; null when the weights sum to 0 (Unleash then picks none). `groupId` salts the hash.
 */
export function variantBranches(
  variants: unknown[],
  groupId: string,
  stickiness: string,
  registry: VariantRegistry,
  where: string,
  note: NoteSink,
  hashing: Hashing,
): Branch[] | null {
  const defs = definitions(variants, registry, where);
  const total = defs.reduce((sum, def) => sum + def.weight, 0);
  if (total <= 0) return null;
  const branches: Branch[] = [];
  for (const def of defs) {
    for (const { attribute, values } of def.overrides) {
      if (values.length > 0)
        branches.push({ when: Conjunction.of({ attribute, op: 'in', values }), serve: { variant: def.key } });
    }
  }
  const stickinessAttribute =
    stickiness === 'default' ? stickiness : attributeOf(stickiness, `${where} stickiness`);
  for (const { attribute, when } of stickinessBranches(stickinessAttribute)) {
    branches.push({
      when,
      serve: {
        rollout: {
          bucketBy: attribute,
          salt: groupId,
          seed: VARIANT_SEED,
          buckets: total,
          ...(hashing.encoding === 'utf8' ? {} : { encoding: hashing.encoding }),
          weights: defs.map((def) => ({ variant: def.key, weight: def.weight })),
        },
      },
    });
  }
  // No stickiness value: Unleash picks at random. Exact when only one variant can be picked at all.
  const possible = defs.filter((def) => def.weight > 0);
  const first = possible[0] as Definition;
  if (new Set(possible.map((def) => def.key)).size > 1)
    note(
      'random',
      `${where}: contexts without ${stickiness === 'default' ? 'userId, sessionId or remoteAddress' : stickiness} ` +
        `get a random variant in Unleash; in Switchboard always the first one with weight (${first.key})`,
    );
  branches.push({ when: Conjunction.ALWAYS, serve: { variant: first.key } });
  return branches;
}
