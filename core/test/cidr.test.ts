import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCidr } from '@switchboard/core';
import type { AttributeClause, Context } from '@switchboard/core';
import { emptyCidr } from '../src/cidr';
import { compileAttributeClause } from '../src/operators';

const inCidr = (values: string[], context: Context, negate = false): boolean =>
  compileAttributeClause({ attribute: 'ip', op: 'inCidr', values, negate } satisfies AttributeClause)(
    context,
  );

/** The 128 bits of a parse as one bigint (IPv4 in the low 32), with family and prefix. */
function parsed(text: string): { family: number; prefix: number; bits: bigint } | null {
  const out = emptyCidr();
  if (!parseCidr(text, out)) return null;
  const bits = Array.from(out.words).reduce((acc, word) => (acc << 32n) | BigInt(word), 0n);
  return { family: out.family, prefix: out.prefix, bits };
}

describe('IP address and range parsing', () => {
  it.each([
    ['10.0.0.1', 4, 32, 0x0a000001n],
    ['10.0.0.0/8', 4, 8, 0x0a000000n],
    ['1.2.3.4/08', 4, 8, 0x01020304n],
    ['0.0.0.0/0', 4, 0, 0n],
    ['::', 6, 128, 0n],
    ['::1', 6, 128, 1n],
    ['2001:db8::/32', 6, 32, 0x20010db8n << 96n],
    ['2001:DB8::1', 6, 128, (0x20010db8n << 96n) | 1n],
    ['fe80::1%eth0', 6, 128, (0xfe80n << 112n) | 1n],
    ['fe80::1/64%eth0', 6, 64, (0xfe80n << 112n) | 1n],
    ['::ffff:10.0.0.1', 6, 128, (0xffffn << 32n) | 0x0a000001n],
    ['1:2:3:4:5:6:7:8', 6, 128, 0x00010002000300040005000600070008n],
    ['1:2:3:4:5:6:7::', 6, 128, 0x00010002000300040005000600070000n],
    ['::2:3:4:5:6:7:8', 6, 128, 0x00000002000300040005000600070008n],
    ['1:2:3:4:5:6:10.0.0.1', 6, 128, 0x0001000200030004000500060a000001n],
    ['::/007', 6, 7, 0n],
  ])('reads %s', (text, family, prefix, bits) => {
    expect(parsed(text)).toEqual({ family, prefix, bits });
  });

  it.each([
    '',
    '10.0.0',
    '10.0.0.256',
    '01.2.3.4',
    '10.0.0.1/33',
    '10.0.0.1/',
    ' 10.0.0.1',
    '10.0.0.1/1/2',
    '1::2::3',
    ':1::2',
    '1::2:',
    ':::1',
    '12345::',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7:8::',
    '::ffff:01.2.3.4',
    '1.2.3.4:1.2.3.4',
    '::/129',
    '::/0128',
    '::1%eth\n0',
    'g::1',
    'localhost',
  ])('rejects %j', (text) => {
    expect(parsed(text)).toBeNull();
  });
});

describe('inCidr', () => {
  it('matches addresses inside any of the ranges, and exact addresses', () => {
    const values = ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32'];
    expect(inCidr(values, { ip: '10.200.3.4' })).toBe(true);
    expect(inCidr(values, { ip: '11.0.0.1' })).toBe(false);
    expect(inCidr(values, { ip: '192.168.1.7' })).toBe(true);
    expect(inCidr(values, { ip: '192.168.1.8' })).toBe(false);
    expect(inCidr(values, { ip: '2001:db8:0:1::42' })).toBe(true);
    expect(inCidr(values, { ip: '2001:db9::1' })).toBe(false);
  });

  it('keeps the families apart: an IPv4-mapped IPv6 address is not in an IPv4 range', () => {
    expect(inCidr(['10.0.0.0/8'], { ip: '::ffff:10.0.0.1' })).toBe(false);
    expect(inCidr(['::ffff:10.0.0.0/104'], { ip: '::ffff:10.0.0.1' })).toBe(true);
    // 10.0.0.0/8 and a00::/8 share their first eight bits but not their family.
    expect(inCidr(['10.0.0.0/8'], { ip: 'a00::1' })).toBe(false);
  });

  it('treats a context value with a prefix as a subnet that must lie within the range', () => {
    expect(inCidr(['10.0.0.0/8'], { ip: '10.1.0.0/16' })).toBe(true);
    expect(inCidr(['10.1.0.0/16'], { ip: '10.0.0.0/8' })).toBe(false);
  });

  it('never matches values that are not addresses, and ignores unparseable ranges', () => {
    for (const ip of ['not an ip', '', 42, null, undefined, ['10.0.0.1']])
      expect(inCidr(['0.0.0.0/0', '::/0'], { ip } as Context)).toBe(Array.isArray(ip));
    expect(inCidr(['bad', '10.0.0.0/8'], { ip: '10.0.0.1' })).toBe(true);
    expect(inCidr(['bad'], { ip: '10.0.0.1' })).toBe(false);
    expect(inCidr(['10.0.0.0/8'], {}, true)).toBe(true);
  });

  it('a /0 range holds every address of its family; a full-length prefix only its address', () => {
    fc.assert(
      fc.property(fc.ipV4(), fc.ipV6(), (v4, v6) => {
        expect(inCidr(['0.0.0.0/0'], { ip: v4 })).toBe(true);
        expect(inCidr(['::/0'], { ip: v6 })).toBe(true);
        expect(inCidr([`${v4}/32`], { ip: v4 })).toBe(true);
        expect(inCidr([`${v6}/128`], { ip: v6 })).toBe(true);
        expect(inCidr(['::/0'], { ip: v4 })).toBe(false);
      }),
    );
  });

  it('a range holds exactly the addresses that share its first prefix bits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        (a, b, prefix) => {
          const dotted = (n: number) => [24, 16, 8, 0].map((shift) => (n >>> shift) & 0xff).join('.');
          const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
          expect(inCidr([`${dotted(a)}/${prefix}`], { ip: dotted(b) })).toBe(
            (a & mask) >>> 0 === (b & mask) >>> 0,
          );
        },
      ),
    );
  });
});
