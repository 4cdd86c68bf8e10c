import type { FlagDocument, FlagEnvironment, VariantValue } from '@switchboard/core';
import { Option } from 'commander';
import type { Command } from 'commander';
import { segment } from '../api-client';
import { describeEnvironmentState, describeServe, environmentOf, environmentOrder } from '../describe';
import { usageError } from '../errors';
import { renderTable } from '../output';
import type { Session } from '../session';
import { sessionFor } from '../session';
import { isStale, STALE_AFTER_DAYS_DEFAULT } from '../stale';

const FLAG_TYPES = ['boolean', 'string', 'number', 'json'] as const;
type FlagType = (typeof FLAG_TYPES)[number];

export function registerFlags(program: Command): void {
  const flags = program.command('flags').description('list, inspect, create and toggle flags');

  flags
    .command('list')
    .description('list flags with their state in every environment')
    .option('--tag <tag>', 'only flags with this tag')
    .option('--search <text>', 'only flags whose key or description contains the text')
    .option('--stale', 'only flags that serve one fixed variant everywhere and have not changed lately')
    .option(
      '--stale-days <days>',
      'days without a change before a fixed flag counts as stale',
      String(STALE_AFTER_DAYS_DEFAULT),
    )
    .action(
      async (
        options: { tag?: string; search?: string; stale?: boolean; staleDays: string },
        command: Command,
      ) => {
        const session = sessionFor(command);
        let list = await session.listAll<FlagDocument>('/api/v1/flags', 'flags', {
          tag: options.tag,
          search: options.search,
        });
        if (options.stale) {
          const days = Number(options.staleDays);
          if (!Number.isInteger(days) || days < 0)
            throw usageError(`invalid --stale-days "${options.staleDays}"`);
          const verdicts = await Promise.all(list.map((flag) => isStale(session, flag, days)));
          list = list.filter((_, index) => verdicts[index]);
        }
        if (session.out.json) return session.out.data(list);
        const environments = environmentOrder(list);
        const rows = list.map((flag) => [
          session.out.color.bold(flag.key),
          String(flag.version),
          (flag.tags ?? []).join(','),
          ...environments.map((name) => {
            const environment = flag.environments[name];
            return environment ? describeEnvironmentState(environment, session.out.color) : '-';
          }),
        ]);
        session.out.line(
          renderTable(
            ['KEY', 'VERSION', 'TAGS', ...environments.map((name) => name.toUpperCase())],
            rows,
            'no flags',
          ),
        );
      },
    );

  flags
    .command('get')
    .description("show one flag's variants, rules and state")
    .argument('<key>', 'flag key')
    .option('--env <environment>', 'only this environment')
    .action(async (key: string, options: { env?: string }, command: Command) => {
      const session = sessionFor(command);
      const flag = await session.api.get<FlagDocument>(`/api/v1/flags/${segment(key)}`);
      const environments = options.env === undefined ? flag.environments : onlyEnvironment(flag, options.env);
      if (session.out.json) return session.out.data({ ...flag, environments });
      printFlag(session, { ...flag, environments });
    });

  flags
    .command('create')
    .description('create a flag, off in every environment (boolean on/off unless --type says otherwise)')
    .argument('<key>', 'flag key')
    .option('--description <text>', 'what the flag is for')
    .option('--tag <tag...>', 'tags (repeatable)')
    .addOption(new Option('--type <type>', 'variant type').choices(FLAG_TYPES).default('boolean'))
    .option(
      '--variant <name=value...>',
      'variants of a non-boolean flag, e.g. --variant red=#f00 --variant blue=#00f',
    )
    .option('--off-variant <name>', 'variant served while off (default: "off", or the first variant)')
    .action(
      async (
        key: string,
        options: {
          description?: string;
          tag?: string[];
          type: FlagType;
          variant?: string[];
          offVariant?: string;
        },
        command: Command,
      ) => {
        const session = sessionFor(command);
        const variants = buildVariants(options.type, options.variant ?? []);
        const offVariant = options.offVariant ?? ('off' in variants ? 'off' : Object.keys(variants)[0]);
        if (offVariant === undefined || !(offVariant in variants)) {
          throw usageError(
            `--off-variant "${offVariant}" is not one of the variants ${Object.keys(variants).join(', ')}`,
          );
        }
        const environments = await session.environments();
        const off: FlagEnvironment = { enabled: false, offVariant, fallthrough: { variant: offVariant } };
        const document: Omit<FlagDocument, 'version'> = {
          key,
          ...(options.description === undefined ? {} : { description: options.description }),
          tags: options.tag ?? [],
          variants,
          environments: Object.fromEntries(environments.map((environment) => [environment.key, off])),
        };
        const created = await session.api.put<FlagDocument>(`/api/v1/flags/${segment(key)}`, document);
        if (session.out.json) return session.out.data(created);
        session.out.line(
          `Created ${session.out.color.bold(key)} (version ${created.version}), off in ${Object.keys(created.environments).join(', ')}.`,
        );
      },
    );

  flags
    .command('set')
    .description('turn a flag on or off in one environment')
    .argument('<key>', 'flag key')
    .requiredOption('--env <environment>', 'environment')
    .addOption(new Option('--on', 'turn the flag on').conflicts('off'))
    .addOption(new Option('--off', 'turn the flag off'))
    .action(async (key: string, options: { env: string; on?: boolean; off?: boolean }, command: Command) => {
      if (!options.on && !options.off) throw usageError('say --on or --off');
      const session = sessionFor(command);
      const enabled = options.on === true;
      const flag = await session.api.put<FlagDocument>(
        `/api/v1/flags/${segment(key)}/environments/${segment(options.env)}/enabled`,
        { enabled },
      );
      if (session.out.json) return session.out.data(flag);
      const state = enabled ? session.out.color.green('on') : session.out.color.dim('off');
      const killed = environmentOf(flag, options.env)?.killed;
      session.out.line(
        `${session.out.color.bold(key)} is now ${state} in ${options.env} (version ${flag.version}).`,
      );
      if (killed) {
        session.out.note(
          `Note: the flag is still KILLED in ${options.env} ("${killed.reason}"); run \`switchboard unkill\`.`,
        );
      }
    });

  flags
    .command('delete')
    .description('delete a flag from every environment')
    .argument('<key>', 'flag key')
    .action(async (key: string, _options: unknown, command: Command) => {
      const session = sessionFor(command);
      await session.api.delete(`/api/v1/flags/${segment(key)}`);
      if (session.out.json) return session.out.data({ key, deleted: true });
      session.out.line(`Deleted ${session.out.color.bold(key)}.`);
    });
}

function onlyEnvironment(flag: FlagDocument, environment: string): Record<string, FlagEnvironment> {
  const config = environmentOf(flag, environment);
  if (!config) {
    throw usageError(
      `flag "${flag.key}" has no environment "${environment}" (it has ${Object.keys(flag.environments).join(', ')})`,
    );
  }
  return { [environment]: config };
}

function buildVariants(type: FlagType, specs: string[]): Record<string, VariantValue> {
  if (type === 'boolean') {
    if (specs.length > 0)
      throw usageError('--variant is for --type string, number or json; boolean flags are on/off');
    return { on: true, off: false };
  }
  if (specs.length < 2) throw usageError(`a ${type} flag needs at least two --variant name=value options`);
  const variants: Record<string, VariantValue> = {};
  for (const spec of specs) {
    const separator = spec.indexOf('=');
    const name = spec.slice(0, separator);
    if (separator <= 0) throw usageError(`invalid --variant "${spec}": expected name=value`);
    if (name in variants) throw usageError(`variant "${name}" is given twice`);
    variants[name] = parseVariantValue(type, name, spec.slice(separator + 1));
  }
  return variants;
}

function parseVariantValue(type: Exclude<FlagType, 'boolean'>, name: string, text: string): VariantValue {
  if (type === 'string') return text;
  if (type === 'number') {
    const value = Number(text);
    if (text.trim() === '' || !Number.isFinite(value))
      throw usageError(`variant "${name}": "${text}" is not a number`);
    return value;
  }
  try {
    return JSON.parse(text) as VariantValue;
  } catch {
    throw usageError(`variant "${name}": "${text}" is not JSON`);
  }
}

function printFlag(session: Session, flag: FlagDocument): void {
  const { out } = session;
  out.line(`${out.color.bold(flag.key)}  (version ${flag.version})`);
  if (flag.description) out.line(flag.description);
  if (flag.tags?.length) out.line(`tags: ${flag.tags.join(', ')}`);
  out.line(
    `variants: ${Object.entries(flag.variants)
      .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
      .join(', ')}`,
  );
  if (flag.prerequisites?.length) {
    out.line(
      `prerequisites: ${flag.prerequisites.map((item) => `${item.flag} is ${item.variants.join('|')}`).join(', ')}`,
    );
  }
  for (const name of environmentOrder([flag])) {
    const environment = flag.environments[name] as FlagEnvironment;
    out.line();
    out.line(`${out.color.cyan(name)}: ${describeEnvironmentState(environment, out.color)}`);
    if (environment.killed) {
      out.line(`  killed ${environment.killed.at} by ${environment.killed.by}: ${environment.killed.reason}`);
    }
    out.line(`  off variant: ${environment.offVariant}`);
    for (const target of environment.targets ?? []) {
      out.line(
        `  target: ${target.attribute ?? 'userId'} in [${target.values.join(', ')}] → ${target.variant}`,
      );
    }
    for (const rule of environment.rules ?? []) {
      const clauses = rule.clauses.map((clause) =>
        'segment' in clause
          ? `${clause.negate ? 'not ' : ''}in segment ${clause.segment}`
          : `${clause.attribute} ${clause.negate ? 'not ' : ''}${clause.op} ${clause.values.map((value) => JSON.stringify(value)).join(',')}`,
      );
      out.line(`  rule ${rule.id}: ${clauses.join(' and ') || 'everyone'} → ${describeServe(rule.serve)}`);
    }
    out.line(`  fallthrough: ${describeServe(environment.fallthrough)}`);
  }
}
