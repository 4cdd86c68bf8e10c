/**
 * The user population every system evaluates: deterministic (seeded), so every child process and every
 * run sees exactly the same users in the same order.
 */

export interface BenchUser {
  userId: string;
  country: string;
  plan: string;
  appVersion: string;
}

export const DEFAULT_USER_COUNT = 10_000;

/** mulberry32: a small, fast, seedable PRNG (uniform in [0, 1)). */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function weightedPick<T>(random: () => number, choices: readonly (readonly [T, number])[]): T {
  const total = choices.reduce((sum, [, weight]) => sum + weight, 0);
  let roll = random() * total;
  for (const [value, weight] of choices) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return (choices[choices.length - 1] as readonly [T, number])[0];
}

// DE/FR/NL ≈ 60%, pro ≈ 50%, appVersion ≥ 2.3.0 ≈ 5/7: the 3-clause rule matches ≈ 21% of users, enough
// users for the fairness check to be sharp. 2.10.0 and 2.2.10 catch lexical (non-semver) comparison.
const COUNTRIES = [
  ['DE', 25],
  ['FR', 20],
  ['NL', 15],
  ['US', 20],
  ['GB', 8],
  ['ES', 5],
  ['JP', 4],
  ['BR', 3],
] as const;
const PLANS = [
  ['pro', 50],
  ['free', 35],
  ['enterprise', 15],
] as const;
const APP_VERSIONS = ['2.2.9', '2.2.10', '2.3.0', '2.3.1', '2.10.0', '3.0.0', '3.1.4'].map(
  (version) => [version, 1] as const,
);

function uuidLike(random: () => number): string {
  let hex = '';
  for (let i = 0; i < 32; i++) hex += Math.floor(random() * 16).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

export function generateUsers(count = DEFAULT_USER_COUNT, seed = 20_251_126): BenchUser[] {
  const random = seededRandom(seed);
  const users: BenchUser[] = [];
  const seen = new Set<string>();
  while (users.length < count) {
    const userId = uuidLike(random);
    if (seen.has(userId)) continue;
    seen.add(userId);
    users.push({
      userId,
      country: weightedPick(random, COUNTRIES),
      plan: weightedPick(random, PLANS),
      appVersion: weightedPick(random, APP_VERSIONS),
    });
  }
  // As if parsed from requests, like real contexts: flat strings (the concatenations above build rope
  // strings, which are slower to read character by character).
  return JSON.parse(JSON.stringify(users)) as BenchUser[];
}
