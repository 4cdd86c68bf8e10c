import { describe, expect, it } from 'vitest';
import { Backoff } from '../src/backoff';

describe('Backoff (exponential, full jitter)', () => {
  it('draws each delay from [0, min(max, base·2^attempt))', () => {
    const draws = [0, 0.5, 0.999999];
    for (const draw of draws) {
      const backoff = new Backoff({ baseMs: 100, maxMs: 3_000, random: () => draw });
      const delays = Array.from({ length: 8 }, () => backoff.next());
      const ceilings = [100, 200, 400, 800, 1600, 3000, 3000, 3000];
      delays.forEach((delay, i) => {
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThan(ceilings[i]!);
        expect(delay).toBe(Math.floor(draw * ceilings[i]!));
      });
    }
  });

  it('spreads delays across the whole interval with a real random source', () => {
    const backoff = new Backoff({ baseMs: 1_000, maxMs: 1_000 });
    const delays = Array.from({ length: 2_000 }, () => backoff.next());
    expect(Math.min(...delays)).toBeLessThan(100);
    expect(Math.max(...delays)).toBeGreaterThan(900);
    expect(Math.max(...delays)).toBeLessThan(1_000);
  });

  it('counts failures and starts over after reset', () => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 10_000, random: () => 0.5 });
    backoff.next();
    backoff.next();
    expect(backoff.failures).toBe(2);
    backoff.reset();
    expect(backoff.failures).toBe(0);
    expect(backoff.next()).toBe(50);
  });

  it('stays capped after very many failures', () => {
    const backoff = new Backoff({ baseMs: 100, maxMs: 30_000, random: () => 0.5 });
    for (let i = 0; i < 10_000; i++) backoff.next();
    expect(backoff.next()).toBe(15_000);
  });
});
