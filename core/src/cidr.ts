/**
 * IP addresses and CIDR ranges for the `inCidr` operator.
 *
 * Accepted forms (those of the `ip-address` library, which Unleash and many Node services use):
 * IPv4 as a dotted quad without leading zeros (`10.0.0.1`); IPv6 with `::` compression, an embedded IPv4
 * tail (`::ffff:10.0.0.1`) and an ignored zone (`fe80::1%eth0`); either optionally followed by a prefix
 * length (`10.0.0.0/8`, `2001:db8::/32`). A value without a prefix is a single address (/32 or /128).
 *
 * Parsing writes into a caller's Uint32Array, so evaluating a context allocates nothing.
 */

/** A parsed address: its 128 bits (IPv4 in word 3, words 0–2 zero) plus family and prefix length. */
export interface ParsedCidr {
  family: 4 | 6;
  /** Prefix length in bits: 32 (IPv4) or 128 (IPv6) for a single address. */
  prefix: number;
  /** Four 32-bit words, most significant first. */
  words: Uint32Array;
}

const IPV6_PREFIX = /\/(\d{1,3})(?=%|$)/;
const IPV6_BAD_CHARACTER = /[^0-9a-fA-F:]/;
/** Five hex digits in a row, three colons, a lone colon at either end. */
const IPV6_BAD_SHAPE = /[0-9a-fA-F]{5,}|:{3,}|[^:]:$|^:[^:]/;
const LINE_TERMINATOR = /[\n\r\u2028\u2029]/;
/** The longest IPv6 text (without prefix and zone): six 4-digit groups with colons, then a dotted quad. */
const MAX_IPV6_LENGTH = 45;

/**
 * Parses `text[start, end)` as a dotted-quad IPv4 address (octets 0–255 without leading zeros) into
 * `words[3]`; false when it is not one. By hand rather than with a regex: it runs on every evaluation.
 */
function parseIpv4Address(text: string, words: Uint32Array, start = 0, end = text.length): boolean {
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = start; i < end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x30 && code <= 0x39) {
      if (digits === 1 && octet === 0) return false; // a leading zero
      octet = octet * 10 + (code - 0x30);
      if (++digits > 3 || octet > 255) return false;
    } else if (code === 0x2e && digits > 0 && dots < 3) {
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else {
      return false;
    }
  }
  if (dots !== 3 || digits === 0) return false;
  words[0] = 0;
  words[1] = 0;
  words[2] = 0;
  words[3] = value * 256 + octet;
  return true;
}

/** Reads hex groups ("1:ab:…") into 16-bit values; null when a group is not 1–4 hex digits. */
function hexGroups(text: string): number[] | null {
  if (text === '') return [];
  const groups = text.split(':');
  const values: number[] = [];
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
    values.push(parseInt(group, 16));
  }
  return values;
}

/** Parses `text` as an IPv6 address without prefix or zone into `words`; false when it is not one. */
function parseIpv6Address(text: string, words: Uint32Array): boolean {
  if (text.length > MAX_IPV6_LENGTH) return false;
  let hex = text;
  let tail: number[] = [];
  if (text.includes('.')) {
    // An embedded IPv4 address can only be the last group.
    const lastColon = text.lastIndexOf(':');
    if (lastColon === -1 || !parseIpv4Address(text, words, lastColon + 1)) return false;
    const v4 = words[3] as number;
    tail = [v4 >>> 16, v4 & 0xffff];
    hex = text.slice(0, lastColon + 1);
    // "::1.2.3.4" leaves "::"; "1:2:3:4:5:6:1.2.3.4" leaves "1:…:6:" whose last colon separated the tail.
    if (!hex.endsWith('::')) hex = hex.slice(0, -1);
  }
  if (IPV6_BAD_CHARACTER.test(hex) || (tail.length === 0 && IPV6_BAD_SHAPE.test(hex))) return false;
  if (tail.length > 0 && /[0-9a-fA-F]{5,}|:{3,}|^:[^:]/.test(hex)) return false;
  const halves = hex.split('::');
  let groups: number[];
  if (halves.length === 1) {
    const all = hexGroups(hex);
    if (all === null) return false;
    groups = [...all, ...tail];
    if (groups.length !== 8) return false;
  } else if (halves.length === 2) {
    const first = hexGroups(halves[0] as string);
    const last = hexGroups(halves[1] as string);
    if (first === null || last === null) return false;
    const present = first.length + last.length + tail.length;
    // "::" stands for at least one zero group.
    if (present >= 8) return false;
    groups = [...first, ...new Array<number>(8 - present).fill(0), ...last, ...tail];
  } else {
    return false;
  }
  for (let i = 0; i < 4; i++)
    words[i] = (((groups[2 * i] as number) << 16) | (groups[2 * i + 1] as number)) >>> 0;
  return true;
}

/** IPv4, optionally with a "/n" prefix length of one or two digits (n ≤ 32). */
function parseIpv4(text: string, out: ParsedCidr): boolean {
  let end = text.length;
  let prefix = 32;
  const slash = text.lastIndexOf('/');
  if (slash !== -1 && (end - slash === 2 || end - slash === 3)) {
    let value = 0;
    for (let i = slash + 1; i < end && value >= 0; i++) {
      const code = text.charCodeAt(i);
      value = code >= 0x30 && code <= 0x39 ? value * 10 + (code - 0x30) : -1;
    }
    if (value > 32) return false;
    if (value >= 0) {
      prefix = value;
      end = slash;
    }
  }
  if (!parseIpv4Address(text, out.words, 0, end)) return false;
  out.family = 4;
  out.prefix = prefix;
  return true;
}

/**
 * Parses an address or range into `out.words`; returns false when `text` is neither. Tried as IPv4 first,
 * then as IPv6 (no text is both). `out` is reused rather than allocated: pass
 * `{ family: 4, prefix: 0, words: new Uint32Array(4) }`; on success its family and prefix are set too, and on
 * failure its contents are unspecified.
 */
export function parseCidr(text: string, out: ParsedCidr): boolean {
  if (parseIpv4(text, out)) return true;
  let address = text;
  let prefix = 128;
  const v6Prefix = IPV6_PREFIX.exec(text);
  if (v6Prefix !== null) {
    prefix = parseInt(v6Prefix[1] as string, 10);
    if (prefix > 128) return false;
    address = text.slice(0, v6Prefix.index) + text.slice(v6Prefix.index + v6Prefix[0].length);
  }
  if (address.includes('/')) return false;
  const zone = address.indexOf('%');
  if (zone !== -1) {
    // A zone runs to the end and holds no line terminator; it does not change the address.
    if (LINE_TERMINATOR.test(address.slice(zone))) return false;
    address = address.slice(0, zone);
  }
  if (!parseIpv6Address(address, out.words)) return false;
  out.family = 6;
  out.prefix = prefix;
  return true;
}

/** Whether the first `bits` bits of two addresses are equal. */
function samePrefix(a: Uint32Array, b: Uint32Array, bits: number, family: 4 | 6): boolean {
  let remaining = bits;
  for (let i = family === 4 ? 3 : 0; remaining > 0; i++) {
    const take = Math.min(32, remaining);
    const mask = take === 32 ? 0xffffffff : ~(0xffffffff >>> take) >>> 0;
    if ((((a[i] as number) ^ (b[i] as number)) & mask) >>> 0 !== 0) return false;
    remaining -= take;
  }
  return true;
}

/**
 * Whether `inner` (an address, or a subnet) lies within `range`: same family, a prefix at least as long,
 * and the same first `range.prefix` bits.
 */
export function cidrContains(range: ParsedCidr, inner: ParsedCidr): boolean {
  return (
    range.family === inner.family &&
    inner.prefix >= range.prefix &&
    samePrefix(range.words, inner.words, range.prefix, range.family)
  );
}

/** A fresh ParsedCidr to parse into. */
export function emptyCidr(): ParsedCidr {
  return { family: 4, prefix: 0, words: new Uint32Array(4) };
}
