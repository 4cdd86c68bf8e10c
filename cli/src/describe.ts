/** Human descriptions of flags, shared by `flags list`, `flags get` and `export`'s notes. */
import type { FlagDocument, FlagEnvironment, Serve } from '@switchboard/core';
import type { Colors } from './output';
import { formatPercent } from './parse';

/** The flag's configuration in a user-named environment (own keys only: "constructor" is a valid name). */
export function environmentOf(flag: FlagDocument, name: string): FlagEnvironment | undefined {
  return Object.hasOwn(flag.environments, name) ? flag.environments[name] : undefined;
}

export function describeServe(serve: Serve): string {
  if ('variant' in serve) return serve.variant;
  const by =
    serve.rollout.bucketBy && serve.rollout.bucketBy !== 'userId' ? ` by ${serve.rollout.bucketBy}` : '';
  const buckets = serve.rollout.buckets ?? 100_000;
  const parts = serve.rollout.weights.map(
    (weight) => `${weight.variant} ${formatPercent(Math.round((weight.weight * 100_000) / buckets))}`,
  );
  return `${parts.join(' / ')}${by}`;
}

/** One word or phrase per environment: KILLED, off, or `on → ` what it serves (e.g. `on → on 25% / off 75%`). */
export function describeEnvironmentState(environment: FlagEnvironment, color: Colors): string {
  if (environment.killed) return color.red('KILLED');
  if (!environment.enabled) return color.dim('off');
  const rules = environment.rules?.length ?? 0;
  const targets = environment.targets?.length ?? 0;
  const extras = [
    rules ? `${rules} rule${rules > 1 ? 's' : ''}` : '',
    targets ? `${targets} target list` : '',
  ]
    .filter(Boolean)
    .join(', ');
  return color.green(`on → ${describeServe(environment.fallthrough)}`) + (extras ? ` (+${extras})` : '');
}

/** Environment names in a stable order: the usual lifecycle first, then the rest alphabetically. */
export function environmentOrder(flags: readonly FlagDocument[]): string[] {
  const known = ['development', 'staging', 'production'];
  const names = new Set(flags.flatMap((flag) => Object.keys(flag.environments)));
  const rank = (name: string) => (known.includes(name) ? known.indexOf(name) : known.length);
  return [...names].sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
}
