/**
 * Flags with targets, rules or prerequisites evaluate through generated code where the runtime allows it,
 * through closures where it does not: both must serve exactly the same results.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompiledRuleset, EnvironmentRuleset, FlagConfig } from '@switchboard/core';
import { buildRuleset } from '@switchboard/core';
import { compileRuleset } from '../src/compile';
import { setCodeGeneration } from '../src/generate';
import { ENVIRONMENT, evaluationCase } from './arbitraries';
import { booleanFlag } from './helpers';
import { hostileContexts, hostileFlag, inProcessContexts } from './hostile-inputs';

function bothWays(ruleset: EnvironmentRuleset): [generated: CompiledRuleset, closures: CompiledRuleset] {
  setCodeGeneration(undefined);
  const generated = compileRuleset(ruleset);
  setCodeGeneration(false);
  const closures = compileRuleset(ruleset);
  setCodeGeneration(undefined);
  return [generated, closures];
}

function expectSameResults(ruleset: EnvironmentRuleset, contexts: readonly unknown[]): void {
  const [generated, closures] = bothWays(ruleset);
  for (const ctx of contexts) {
    for (const key of closures.keys()) {
      expect(generated.evaluate(key, ctx as Record<string, unknown>)).toEqual(
        closures.evaluate(key, ctx as Record<string, unknown>),
      );
    }
    expect(generated.evaluateAll(ctx as Record<string, unknown>)).toEqual(
      closures.evaluateAll(ctx as Record<string, unknown>),
    );
  }
}

afterEach(() => setCodeGeneration(undefined));

describe('generated flag evaluators', () => {
  it('serve what the closure evaluators serve, for arbitrary flags, segments and contexts', () => {
    fc.assert(
      fc.property(evaluationCase, ([docs, segments, contexts]) => {
        expectSameResults(buildRuleset(ENVIRONMENT, 1, docs, segments), contexts);
      }),
      { numRuns: 500 },
    );
  });

  it('serve what the closure evaluators serve for hostile flags and contexts', () => {
    const hostile = hostileFlag();
    const ruleset = buildRuleset(ENVIRONMENT, 1, [{ ...hostile, version: 1 }], []);
    const contexts = [...hostileContexts(), ...inProcessContexts()].map(([, ctx]) => ctx);
    expectSameResults(ruleset, contexts);
  });

  it('compare in/eq values inline by type, and match array attributes by element', () => {
    const flag: FlagConfig = booleanFlag('typed', {
      rules: [
        {
          id: 'mixed',
          clauses: [{ attribute: 'tier', op: 'in', values: ['1', 2, true] }],
          serve: { variant: 'on' },
        },
      ],
      fallthrough: { variant: 'off' },
    });
    const ruleset: EnvironmentRuleset = {
      environment: ENVIRONMENT,
      version: 1,
      flags: { typed: flag },
      segments: {},
    };
    const [generated] = bothWays(ruleset);
    const served = (tier: unknown) => generated.evaluate('typed', { tier }).variant;
    expect([served('1'), served(2), served(true), served(['x', 2])]).toEqual(['on', 'on', 'on', 'on']);
    expect([served(1), served('2'), served('true'), served(['1x']), served({ 0: '1' })]).toEqual([
      'off',
      'off',
      'off',
      'off',
      'off',
    ]);
    expectSameResults(
      ruleset,
      [1, '1', 2, '2', true, 'true', ['x', 2], ['1x'], { 0: '1' }, null].map((tier) => ({ tier })),
    );
  });

  it('never turn a flag or attribute name into code', () => {
    const name = '"]; throw new Error("injected"); //';
    const flag: FlagConfig = booleanFlag('x"); throw 1; //', {
      rules: [
        {
          id: 'r");throw 1;//',
          clauses: [{ attribute: name, op: 'eq', values: ['"); throw 2; //'] }],
          serve: { variant: 'on' },
        },
      ],
      fallthrough: { variant: 'off' },
    });
    const ruleset: EnvironmentRuleset = {
      environment: ENVIRONMENT,
      version: 1,
      flags: { [flag.key]: flag },
      segments: {},
    };
    const [generated] = bothWays(ruleset);
    expect(generated.evaluate(flag.key, { [name]: '"); throw 2; //' }).reason).toBe('RULE_MATCH');
    expect(generated.evaluate(flag.key, { [name]: 'other' }).reason).toBe('FALLTHROUGH');
  });

  it('build evaluateAll records with own keys only, flags named like Object.prototype members included', () => {
    const names = ['__proto__', 'constructor', 'toString', 'valueOf', '0', 'plain'];
    const flags = Object.fromEntries(names.map((name) => [name, booleanFlag(name)]));
    const ruleset: EnvironmentRuleset = { environment: ENVIRONMENT, version: 1, flags, segments: {} };
    for (const generation of [undefined, false] as const) {
      setCodeGeneration(generation);
      const compiled = compileRuleset(ruleset);
      const all = compiled.evaluateAll({});
      expect(Object.keys(all).sort()).toEqual([...names].sort());
      for (const name of names) {
        expect(Object.prototype.hasOwnProperty.call(all, name)).toBe(true);
        expect(all[name]).toBe(compiled.evaluate(name, {}));
      }
      expect('hasOwnProperty' in all).toBe(false);
      // Generated: a record class whose prototype inherits nothing; otherwise a null-prototype object.
      if (generation === false) expect(Object.getPrototypeOf(all)).toBeNull();
      else expect(Object.getPrototypeOf(Object.getPrototypeOf(all))).toBeNull();
      // A new record each call.
      expect(compiled.evaluateAll({})).not.toBe(all);
    }
  });

  it('fall back to closures in a runtime that forbids code generation', () => {
    const core = fileURLToPath(new URL('../src/index.ts', import.meta.url));
    const script = `
      import { compileRuleset } from ${JSON.stringify(core)};
      const flag = {
        key: 'f', variants: { on: true, off: false }, enabled: true, offVariant: 'off',
        rules: [{ id: 'r', clauses: [{ attribute: 'plan', op: 'in', values: ['pro'] }], serve: { variant: 'on' } }],
        fallthrough: { variant: 'off' },
      };
      const rules = compileRuleset({ environment: 'p', version: 1, flags: { f: flag }, segments: {} });
      const all = rules.evaluateAll({ plan: 'pro' });
      console.log(JSON.stringify([rules.evaluate('f', { plan: 'pro' }).reason, rules.evaluate('f', {}).reason,
        Object.getPrototypeOf(all) === null, all.f.reason]));
    `;
    const output = execFileSync(
      process.execPath,
      ['--disallow-code-generation-from-strings', '--import', 'tsx', '--input-type=module', '-e', script],
      { encoding: 'utf8' },
    );
    expect(JSON.parse(output)).toEqual(['RULE_MATCH', 'FALLTHROUGH', true, 'RULE_MATCH']);
  });
});
