/**
 * When an Unleash activation strategy is on, as Switchboard conditions (unleash-client 6: lib/strategy/*).
 *
 * A strategy is on for a context when any of the returned conjunctions holds. Most strategies need one; a
 * default stickiness needs two ("the userId is set and in the rollout", or "there is no userId, and the
 * sessionId is set and in the rollout"). Unleash enables by `murmur3("groupId:id", seed 0) % 100 + 1 <=
 * percentage`: buckets `[0, floor(percentage))` of 100, an `inBuckets` clause with Unleash's salt, seed and
 * bucket count.
 */
import type { AttributeClause, HashEncoding } from '@switchboard/core';
import { parseCidr } from '@switchboard/core';
import type { ParsedCidr } from '@switchboard/core';
import type { NoteSink } from './conditions';
import { Conjunction, Untranslatable } from './conditions';
import { attributeOf } from './constraints';
import type { Loose } from './payload';

/** The context attribute the applicationHostname strategy compares; unleashCompat fills it in. */
export const HOSTNAME = 'hostname';
/** Unleash's strategy hash: `murmur3("groupId:id", 0) % 100`. */
const STRATEGY_SEED = 0;
const STRATEGY_BUCKETS = 100;

/** How Unleash hashes ids: the encoding of the SDK whose buckets the import keeps (see TranslateOptions). */
export interface Hashing {
  encoding: HashEncoding;
}

/** `attribute`'s Unleash strategy bucket is below `to` (of 100). */
function inRollout(attribute: string, groupId: string, to: number, hashing: Hashing): Conjunction {
  const clause: AttributeClause = {
    attribute,
    op: 'inBuckets',
    values: [0, to],
    bucket: {
      salt: groupId,
      seed: STRATEGY_SEED,
      buckets: STRATEGY_BUCKETS,
      ...(hashing.encoding === 'utf8' ? {} : { encoding: hashing.encoding }),
    },
  };
  return Conjunction.of(clause);
}

/**
 * The strategy-bucket bound for a percentage: enabled when `bucket + 1 <= percentage`, so buckets
 * `[0, floor(percentage))`; 100 or more means everyone with an id, 0 or less (or NaN) no one.
 */
function bucketBound(percentage: number): number {
  if (!(percentage > 0)) return 0;
  return Math.min(Math.floor(percentage), STRATEGY_BUCKETS);
}

function and(...parts: Conjunction[]): Conjunction {
  return parts.reduce((all, part) => all.and(part) as Conjunction, Conjunction.ALWAYS);
}

/** Unleash's `split(/\s*,\s*\/)` of a comma-separated parameter; a non-string one makes the SDK throw. */
function commaList(parameters: Loose, name: string, where: string): string[] | null {
  const value = parameters[name];
  if (!value) return null;
  if (typeof value !== 'string') throw new Untranslatable(`${where}: parameter ${name} is not a string`);
  return value.split(/\s*,\s*/);
}

/** Rollout by the userId or sessionId, gradualRolloutUserId / gradualRolloutSessionId style. */
function idRollout(attribute: string, groupId: string, percentage: number, hashing: Hashing): Conjunction[] {
  const to = bucketBound(percentage);
  if (to === 0) return [];
  const present = Conjunction.nonEmpty(attribute);
  return [to === STRATEGY_BUCKETS ? present : and(present, inRollout(attribute, groupId, to, hashing))];
}

function flexibleRollout(parameters: Loose, where: string, note: NoteSink, hashing: Hashing): Conjunction[] {
  if (!parameters.groupId)
    note(
      'group-id',
      `${where}: no groupId; Unleash then salts with the context's featureToggle field when one is given, ` +
        'Switchboard always with ""',
    );
  const groupId = parameters.groupId ? String(parameters.groupId) : '';
  const to = bucketBound(Number(parameters.rollout));
  if (to === 0) return [];
  const stickiness = parameters.stickiness || 'default';
  if (typeof stickiness !== 'string') throw new Untranslatable(`${where}: stickiness is not a string`);
  if (stickiness === 'random') {
    if (to === STRATEGY_BUCKETS) return [Conjunction.ALWAYS];
    throw new Untranslatable(`${where}: a ${to}% rollout with random stickiness is random on every call`);
  }
  if (stickiness !== 'default') {
    // A custom field: resolved like a constraint's field; no value, no rollout.
    const attribute = attributeOf(stickiness, `${where} stickiness`);
    const present = Conjunction.nonEmpty(attribute);
    return [to === STRATEGY_BUCKETS ? present : and(present, inRollout(attribute, groupId, to, hashing))];
  }
  // Default stickiness: the userId, else the sessionId, else a random number.
  if (to === STRATEGY_BUCKETS) return [Conjunction.ALWAYS];
  note(
    'random',
    `${where}: contexts with neither userId nor sessionId are in this ${to}% rollout at random in Unleash; ` +
      `in Switchboard they are never in it`,
  );
  return [
    and(Conjunction.nonEmpty('userId'), inRollout('userId', groupId, to, hashing)),
    and(
      Conjunction.nonEmpty('userId', false),
      Conjunction.nonEmpty('sessionId'),
      inRollout('sessionId', groupId, to, hashing),
    ),
  ];
}

/** remoteAddress: an IP listed verbatim, or an IPv4 range containing the context's IPv4 address. */
function remoteAddress(parameters: Loose, where: string): Conjunction[] {
  const ips = commaList(parameters, 'IPs', where);
  if (ips === null) return [];
  const scratch: ParsedCidr = { family: 4, prefix: 0, words: new Uint32Array(4) };
  const ranges = ips.filter((ip) => parseCidr(ip, scratch) && scratch.family === 4);
  const alternatives = [Conjunction.of({ attribute: 'remoteAddress', op: 'in', values: [...new Set(ips)] })];
  if (ranges.length > 0)
    alternatives.push(
      Conjunction.of({ attribute: 'remoteAddress', op: 'inCidr', values: [...new Set(ranges)] }),
    );
  return alternatives;
}

/**
 * The conjunctions under which the strategy (its own logic, not its constraints) is on: [] for never,
 * [ALWAYS] for always. Throws Untranslatable for custom strategies and per-call randomness.
 */
export function strategyConditions(
  strategy: Loose,
  where: string,
  note: NoteSink,
  hashing: Hashing,
): Conjunction[] {
  const parameters = strategy.parameters;
  if (parameters !== undefined && (typeof parameters !== 'object' || parameters === null))
    throw new Untranslatable(`${where}: parameters is not an object`);
  const params = (parameters ?? {}) as Loose;
  switch (strategy.name) {
    case 'default':
      return [Conjunction.ALWAYS];
    case 'userWithId': {
      const ids = commaList(params, 'userIds', where);
      return ids === null
        ? []
        : [Conjunction.of({ attribute: 'userId', op: 'in', values: [...new Set(ids)] })];
    }
    case 'gradualRolloutUserId':
      return idRollout(
        'userId',
        params.groupId ? String(params.groupId) : '',
        Number(params.percentage),
        hashing,
      );
    case 'gradualRolloutSessionId':
      return idRollout(
        'sessionId',
        params.groupId ? String(params.groupId) : '',
        Number(params.percentage),
        hashing,
      );
    case 'gradualRolloutRandom': {
      // On when percentage >= a random integer in 1…100.
      const percentage = Number(params.percentage);
      if (percentage >= 100) return [Conjunction.ALWAYS];
      if (!(percentage >= 1)) return [];
      throw new Untranslatable(`${where}: gradualRolloutRandom at ${percentage}% is random on every call`);
    }
    case 'flexibleRollout':
      return flexibleRollout(params, where, note, hashing);
    case 'remoteAddress':
      return remoteAddress(params, where);
    case 'applicationHostname': {
      const hosts = commaList(params, 'hostNames', where);
      if (hosts === null) return [];
      const values = [...new Set(hosts.map((host) => host.toLowerCase()))];
      return [Conjunction.of({ attribute: HOSTNAME, op: 'in', values, caseInsensitive: true })];
    }
    default:
      throw new Untranslatable(
        `${where}: strategy ${JSON.stringify(strategy.name)} is not built into the Unleash SDK (a custom strategy runs your code)`,
      );
  }
}
