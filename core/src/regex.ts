/**
 * The `matches` operator's regular expressions, run by a Thompson-NFA simulation (a "Pike VM"), so matching
 * time is linear in the input whatever the pattern — no pattern can backtrack catastrophically, because
 * nothing backtracks. Two pattern syntaxes compile to the same program:
 *
 * `js` (default), a JavaScript subset: literals, `.`, classes `[a-z]` `[^…]`, `\d \D \w \W \s \S`, escapes
 * (`\t \n \v \f \r \0 \xHH \uHHHH \u{H…}` and any escaped punctuation), groups `(…)` `(?:…)` `(?<name>…)`,
 * alternation `|`, quantifiers `* + ? {n} {n,} {n,m}` (lazy forms accepted; they match the same strings),
 * anchors `^ $` and `\b \B`. Rejected: backreferences and lookaround (they cannot run in linear time), other
 * escapes. Semantics are JavaScript's `u` mode without other flags: case-sensitive, `.` excludes line
 * terminators.
 *
 * `re2`, RE2's syntax (Go's `regexp`, RE2/J, RE2JS): as above plus flags `(?imsU)`, `(?imsU-imsU:…)`,
 * `(?P<name>…)`, POSIX classes `[[:alpha:]]`, `\A \z`, `\Q…\E`, octal and `\x{…}` escapes; `.` excludes only
 * `\n`, `\s` is `[\t\n\f\r ]`, `(?m)` anchors at `\n`. Unicode classes (`\pL`) and `\C` are valid RE2 that
 * this engine does not support (RegexUnsupportedError); lookaround and backreferences are invalid RE2.
 *
 * Both: case-insensitive matching (the `caseInsensitive` option, RE2's `(?i)`) folds case as Unicode simple
 * case folding does; the pattern matches anywhere unless anchored; only the first MAX_INPUT_LENGTH code units
 * are scanned, so `$` (the end of the whole input) never matches an input longer than that.
 */
import { foldRanges } from './casefold';
import type { RegexSyntax } from './types';

/** Longest pattern accepted, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 500;
/** Only this many leading UTF-16 code units of the input are tested. */
export const MAX_INPUT_LENGTH = 1_000;
/** Largest compiled program (counted repetitions expand), which bounds the work per input character. */
const MAX_PROGRAM_SIZE = 2_000;
const MAX_REPEAT = 1_000;
const MAX_CODE_POINT = 0x10ffff;

/** The pattern is not valid in its syntax (or exceeds this engine's bounds; see RegexUnsupportedError). */
export class RegexSyntaxError extends Error {}
/** The pattern is valid in its syntax but uses something this engine does not run, or is too large. */
export class RegexUnsupportedError extends RegexSyntaxError {}

/** How a `matches` pattern is read, as the clause's `syntax` and `caseInsensitive` fields say. */
export interface RegexOptions {
  /** Default 'js'. */
  syntax?: RegexSyntax;
  /** Fold case (Unicode simple case folding); default false. */
  caseInsensitive?: boolean;
}

/** Sorted, non-overlapping inclusive ranges [lo0, hi0, lo1, hi1, …]. */
type Ranges = number[];

type Node =
  | { kind: 'set'; ranges: Ranges }
  | { kind: 'sequence'; items: Node[] }
  | { kind: 'alternation'; options: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number; counted?: boolean }
  | { kind: 'assert'; assertion: Assertion };

const enum Assertion {
  /** The start of the input. */
  Start,
  /** The end of the whole input. */
  End,
  WordBoundary,
  NotWordBoundary,
  /** The start of the input or just after a `\n` (RE2's multi-line `^`). */
  LineStart,
  /** The end of the input or just before a `\n` (RE2's multi-line `$`). */
  LineEnd,
  /**
   * JavaScript's `\b` and `\B` under case-insensitive matching, where the two letters that fold into `\w`
   * from outside ASCII (ſ and the Kelvin sign) count as word characters.
   */
  FoldedWordBoundary,
  FoldedNotWordBoundary,
}

function normalize(ranges: Ranges): Ranges {
  const pairs: Array<[number, number]> = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i] as number, ranges[i + 1] as number]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: Ranges = [];
  for (const [lo, hi] of pairs) {
    const last = out.length - 1;
    if (last > 0 && lo <= (out[last] as number) + 1) out[last] = Math.max(out[last] as number, hi);
    else out.push(lo, hi);
  }
  return out;
}

function complement(ranges: Ranges): Ranges {
  const sorted = normalize(ranges);
  const out: Ranges = [];
  let next = 0;
  for (let i = 0; i < sorted.length; i += 2) {
    const lo = sorted[i] as number;
    if (lo > next) out.push(next, lo - 1);
    next = (sorted[i + 1] as number) + 1;
  }
  if (next <= MAX_CODE_POINT) out.push(next, MAX_CODE_POINT);
  return out;
}

const DIGIT: Ranges = [0x30, 0x39];
const WORD: Ranges = normalize([0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a]);
const SPACE: Ranges = normalize([
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f,
  0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff,
]);
const LINE_TERMINATORS: Ranges = [0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029];
const CLASS_ESCAPES: Record<string, Ranges> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
};
const CONTROL_ESCAPES: Record<string, number> = { t: 0x09, n: 0x0a, v: 0x0b, f: 0x0c, r: 0x0d };

/**
 * A class escape under case folding. A negated escape is the complement of the folded positive one, as in
 * JavaScript (`\W` with `iu`) and RE2 (`(?i)\W`): `\W` then excludes the Kelvin sign, which folds to `k`.
 */
function foldedClassEscape(letter: string, ranges: Ranges): Ranges {
  const lower = letter.toLowerCase();
  if (lower === letter) return folded(ranges);
  return complement(folded(CLASS_ESCAPES[lower] as Ranges));
}

function isWordCode(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0x5f ||
    (code >= 0x61 && code <= 0x7a)
  );
}

/** `\w` under case-insensitive JavaScript matching: ASCII word characters plus ſ and the Kelvin sign. */
function isFoldedWordCode(code: number): boolean {
  return isWordCode(code) || code === 0x17f || code === 0x212a;
}

/** `ranges` closed under case folding, normalized. */
function folded(ranges: Ranges): Ranges {
  return normalize(foldRanges(normalize(ranges)));
}

/** The JavaScript-syntax parser. */
class Parser {
  private pos = 0;
  constructor(
    private readonly source: string,
    /** Case-insensitive: every set is closed under case folding. */
    private readonly fold: boolean,
  ) {}

  private set(ranges: Ranges): Node {
    return { kind: 'set', ranges: this.fold ? folded(ranges) : ranges };
  }

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.source.length) throw new RegexSyntaxError(`unmatched ')' at ${this.pos}`);
    return node;
  }

  private peek(): string | undefined {
    return this.source[this.pos];
  }

  private fail(message: string): never {
    throw new RegexSyntaxError(`${message} at ${this.pos}`);
  }

  private alternation(): Node {
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.pos++;
      options.push(this.sequence());
    }
    return options.length === 1 ? (options[0] as Node) : { kind: 'alternation', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    for (let ch = this.peek(); ch !== undefined && ch !== '|' && ch !== ')'; ch = this.peek()) {
      const atom = this.atom();
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? (items[0] as Node) : { kind: 'sequence', items };
  }

  private quantified(atom: Node): Node {
    let min: number;
    let max: number;
    const ch = this.peek();
    if (ch === '*') [min, max] = [0, Infinity];
    else if (ch === '+') [min, max] = [1, Infinity];
    else if (ch === '?') [min, max] = [0, 1];
    else if (ch === '{') {
      const braces = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.pos));
      if (braces === null) return atom; // a '{' that is not a quantifier is a literal, as in JavaScript
      min = Number(braces[1]);
      max = braces[2] === undefined ? min : braces[3] === '' ? Infinity : Number(braces[3]);
      if (min > MAX_REPEAT || (max !== Infinity && max > MAX_REPEAT))
        throw new RegexUnsupportedError(`repetition over ${MAX_REPEAT} at ${this.pos}`);
      if (max < min) this.fail('numbers out of order in {} quantifier');
      this.pos += braces[0].length - 1;
    } else return atom;
    this.pos++;
    if (this.peek() === '?') this.pos++; // lazy: same set of matching strings
    if (atom.kind === 'assert') this.fail('nothing to repeat');
    return { kind: 'repeat', node: atom, min, max };
  }

  private atom(): Node {
    const ch = this.source[this.pos++] as string;
    switch (ch) {
      case '(':
        return this.group();
      case '[':
        return { kind: 'set', ranges: this.characterClass() };
      case '.':
        // Line terminators have no case: folding would not change the set.
        return { kind: 'set', ranges: complement(LINE_TERMINATORS) };
      case '^':
        return { kind: 'assert', assertion: Assertion.Start };
      case '$':
        return { kind: 'assert', assertion: Assertion.End };
      case '*':
      case '+':
      case '?':
        this.pos--;
        return this.fail('nothing to repeat');
      case '\\':
        return this.escape();
      default: {
        const code = this.source.codePointAt(this.pos - 1) as number;
        if (code > 0xffff) this.pos++;
        return this.set([code, code]);
      }
    }
  }

  private group(): Node {
    if (this.peek() === '?') {
      const rest = this.source.slice(this.pos, this.pos + 3);
      if (rest.startsWith('?:')) this.pos += 2;
      else if (/^\?<[A-Za-z_$]/.test(rest)) {
        const close = this.source.indexOf('>', this.pos);
        if (close === -1 || !/^[A-Za-z_$][\w$]*$/.test(this.source.slice(this.pos + 2, close))) {
          this.fail('invalid group name');
        }
        this.pos = close + 1;
      } else if (/^\?<?[=!]/.test(rest)) {
        throw new RegexUnsupportedError(`lookahead and lookbehind are not supported at ${this.pos}`);
      } else this.fail('invalid group');
    }
    const inner = this.alternation();
    if (this.peek() !== ')') this.fail("missing ')'");
    this.pos++;
    return inner;
  }

  private escape(): Node {
    const ch = this.peek();
    if (ch === 'b' || ch === 'B') {
      this.pos++;
      const assertion = this.fold
        ? ch === 'b'
          ? Assertion.FoldedWordBoundary
          : Assertion.FoldedNotWordBoundary
        : ch === 'b'
          ? Assertion.WordBoundary
          : Assertion.NotWordBoundary;
      return { kind: 'assert', assertion };
    }
    return { kind: 'set', ranges: this.escapeRanges() };
  }

  /** The code points of the escape after a backslash (outside or inside a class, except \b), folded. */
  private escapeRanges(): Ranges {
    const ch = this.source[this.pos++];
    if (ch === undefined) this.fail('\\ at end of pattern');
    const classEscape = CLASS_ESCAPES[ch];
    if (classEscape !== undefined) return this.fold ? foldedClassEscape(ch, classEscape) : classEscape;
    const code = this.escapeCodePoint(ch);
    return this.fold ? folded([code, code]) : [code, code];
  }

  /** The code point of a single-character escape (the backslash and `ch` consumed). */
  private escapeCodePoint(ch: string): number {
    const control = CONTROL_ESCAPES[ch];
    if (control !== undefined) return control;
    if (ch === '0' && !/\d/.test(this.peek() ?? '')) return 0;
    if (ch === 'x') return this.hexEscape(/^[0-9a-fA-F]{2}/);
    if (ch === 'u') {
      if (this.peek() === '{') {
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(this.source.slice(this.pos));
        const code = braced === null ? NaN : parseInt(braced[1] as string, 16);
        if (braced === null || code > MAX_CODE_POINT) this.fail('invalid \\u{…} escape');
        this.pos += braced[0].length;
        return code;
      }
      return this.hexEscape(/^[0-9a-fA-F]{4}/);
    }
    if (/\d/.test(ch) || ch === 'k')
      throw new RegexUnsupportedError(`backreferences are not supported at ${this.pos}`);
    if (/[A-Za-z0-9]/.test(ch)) this.fail(`unsupported escape \\${ch}`);
    const code = this.source.codePointAt(this.pos - 1) as number;
    if (code > 0xffff) this.pos++;
    return code;
  }

  private hexEscape(digits: RegExp): number {
    const match = digits.exec(this.source.slice(this.pos));
    if (match === null) this.fail('invalid hexadecimal escape');
    this.pos += match[0].length;
    return parseInt(match[0], 16);
  }

  private characterClass(): Ranges {
    const negated = this.peek() === '^';
    if (negated) this.pos++;
    const ranges: Ranges = [];
    while (this.peek() !== ']') {
      if (this.peek() === undefined) this.fail("missing ']'");
      const lo = this.classAtom();
      if (
        this.peek() === '-' &&
        this.source[this.pos + 1] !== ']' &&
        this.source[this.pos + 1] !== undefined
      ) {
        this.pos++;
        const hi = this.classAtom();
        if (lo.length !== 2 || hi.length !== 2) this.fail('invalid character class range');
        if ((lo[0] as number) > (hi[0] as number)) this.fail('range out of order in character class');
        ranges.push(lo[0] as number, hi[0] as number);
      } else {
        ranges.push(...lo);
      }
    }
    this.pos++;
    // Folding happens before negation: [^k] excludes k, K and the Kelvin sign alike.
    const members = this.fold ? folded(ranges) : normalize(ranges);
    return negated ? complement(members) : members;
  }

  /** One class member: a single code point as [c, c], or a class escape's ranges. */
  private classAtom(): Ranges {
    const ch = this.source[this.pos++] as string;
    if (ch === '\\') {
      if (this.peek() === 'b') {
        this.pos++;
        return [0x08, 0x08]; // inside a class, \b is backspace
      }
      if (this.peek() === '-') {
        this.pos++;
        return [0x2d, 0x2d];
      }
      return this.escapeRanges();
    }
    const code = this.source.codePointAt(this.pos - 1) as number;
    if (code > 0xffff) this.pos++;
    return [code, code];
  }
}

const RE2_SPACE: Ranges = [0x09, 0x0a, 0x0c, 0x0d, 0x20, 0x20];
const RE2_CLASS_ESCAPES: Record<string, Ranges> = { d: DIGIT, w: WORD, s: RE2_SPACE };
const RE2_CONTROL_ESCAPES: Record<string, number> = { a: 0x07, f: 0x0c, n: 0x0a, r: 0x0d, t: 0x09, v: 0x0b };
/** POSIX classes, `[[:name:]]` (ASCII, as in RE2). */
const POSIX_CLASSES: Record<string, Ranges> = {
  alnum: [0x30, 0x39, 0x41, 0x5a, 0x61, 0x7a],
  alpha: [0x41, 0x5a, 0x61, 0x7a],
  ascii: [0x00, 0x7f],
  blank: [0x09, 0x09, 0x20, 0x20],
  cntrl: [0x00, 0x1f, 0x7f, 0x7f],
  digit: DIGIT,
  graph: [0x21, 0x7e],
  lower: [0x61, 0x7a],
  print: [0x20, 0x7e],
  punct: [0x21, 0x2f, 0x3a, 0x40, 0x5b, 0x60, 0x7b, 0x7e],
  space: [0x09, 0x0d, 0x20, 0x20],
  upper: [0x41, 0x5a],
  word: WORD,
  xdigit: [0x30, 0x39, 0x41, 0x46, 0x61, 0x66],
};
const ALL: Ranges = [0, MAX_CODE_POINT];
const NOT_NEWLINE: Ranges = complement([0x0a, 0x0a]);

/**
 * RE2's bound on nested counted repetitions: their counts multiply to at most `limit` (`(a{2}){600}` is
 * invalid). `*`, `+` and `?` do not count.
 */
function countsWithin(node: Node, limit: number): boolean {
  switch (node.kind) {
    case 'repeat': {
      let inner = limit;
      if (node.counted === true) {
        const count = node.max === Infinity ? node.min : node.max;
        if (count === 0) return true;
        if (count > limit) return false;
        inner = Math.trunc(limit / count);
      }
      return countsWithin(node.node, inner);
    }
    case 'sequence':
      return node.items.every((item) => countsWithin(item, limit));
    case 'alternation':
      return node.options.every((option) => countsWithin(option, limit));
    default:
      return true;
  }
}

interface Re2Flags {
  /** i: fold case. */
  fold: boolean;
  /** m: `^` and `$` also match at line breaks. */
  multiLine: boolean;
  /** s: `.` also matches `\n`. */
  dotAll: boolean;
}

/**
 * The RE2-syntax parser, after Go's regexp/syntax with the Perl flags RE2 uses by default (negated classes
 * match `\n`, `$` is the end of the text, Perl extensions on). Invalid RE2 throws RegexSyntaxError; valid
 * RE2 this engine does not run throws RegexUnsupportedError.
 */
class Re2Parser {
  private pos = 0;
  private flags: Re2Flags;
  private readonly groupNames = new Set<string>();

  constructor(
    private readonly source: string,
    caseInsensitive: boolean,
  ) {
    this.flags = { fold: caseInsensitive, multiLine: false, dotAll: false };
  }

  parse(): Node {
    const node = this.alternation();
    if (this.pos < this.source.length) this.fail("unexpected ')'");
    return node;
  }

  private peek(offset = 0): string | undefined {
    return this.source[this.pos + offset];
  }

  private fail(message: string): never {
    throw new RegexSyntaxError(`${message} at ${this.pos}`);
  }

  private unsupported(message: string): never {
    throw new RegexUnsupportedError(`${message} at ${this.pos}`);
  }

  private set(ranges: Ranges): Node {
    return { kind: 'set', ranges: this.flags.fold ? folded(ranges) : normalize(ranges) };
  }

  /** A flag group `(?flags)` sets flags until the end of the enclosing group: they are restored there. */
  private alternation(): Node {
    const saved = { ...this.flags };
    const options = [this.sequence()];
    while (this.peek() === '|') {
      this.pos++;
      options.push(this.sequence());
    }
    this.flags = saved;
    return options.length === 1 ? (options[0] as Node) : { kind: 'alternation', options };
  }

  private sequence(): Node {
    const items: Node[] = [];
    for (let ch = this.peek(); ch !== undefined && ch !== '|' && ch !== ')'; ch = this.peek()) {
      if (ch === '(' && this.peek(1) === '?' && this.flagGroup()) {
        // RE2 would apply a repetition right after a flag group to the atom before it: too odd to mimic.
        if (this.repetitionAhead()) this.unsupported('repetition after a flag group');
        continue;
      }
      if (ch === '\\' && this.peek(1) === 'Q') {
        // \Q…\E: literal text; a repetition after it applies to its last character only.
        const literal = this.quotedLiteral();
        if (literal.length === 0 && this.repetitionAhead())
          this.unsupported('repetition after an empty \\Q\\E');
        const last = literal.pop();
        items.push(...literal);
        if (last !== undefined) items.push(this.quantified(last));
        continue;
      }
      items.push(this.quantified(this.atom()));
    }
    return items.length === 1 ? (items[0] as Node) : { kind: 'sequence', items };
  }

  /** Whether a repetition operator starts here (a `{` only when it forms a valid `{n}`, `{n,}`, `{n,m}`). */
  private repetitionAhead(): boolean {
    const ch = this.peek();
    return ch === '*' || ch === '+' || ch === '?' || (ch === '{' && this.braces() !== null);
  }

  /**
   * A `{n}`, `{n,}` or `{n,m}` here, or null when the brace is a literal (as when a count has a leading
   * zero). Counts over 1,000 (or of more than eight digits), and m < n, are invalid.
   */
  private braces(): { min: number; max: number; length: number } | null {
    const match = /^\{(\d+)(,(\d*))?\}/.exec(this.source.slice(this.pos));
    if (match === null) return null;
    const counts = [match[1] as string, match[3] ?? ''];
    if (counts.some((count) => count.length > 1 && count.startsWith('0'))) return null;
    const min = Number(match[1]);
    const max = match[2] === undefined ? min : match[3] === '' ? Infinity : Number(match[3]);
    if (
      counts.some((count) => count.length > 8) ||
      min > MAX_REPEAT ||
      (max !== Infinity && max > MAX_REPEAT)
    )
      this.fail('invalid repeat count');
    if (max < min) this.fail('invalid repeat count');
    return { min, max, length: match[0].length };
  }

  private quantified(atom: Node): Node {
    if (!this.repetitionAhead()) return atom;
    let min: number;
    let max: number;
    const ch = this.peek() as string;
    const counted = ch === '{';
    if (counted) {
      const braces = this.braces() as { min: number; max: number; length: number };
      ({ min, max } = braces);
      this.pos += braces.length;
    } else {
      [min, max] = ch === '*' ? [0, Infinity] : ch === '+' ? [1, Infinity] : [0, 1];
      this.pos++;
    }
    if (this.peek() === '?') this.pos++; // non-greedy: the same set of matching strings
    if (this.repetitionAhead()) this.fail('invalid nested repetition operator');
    const node: Node = { kind: 'repeat', node: atom, min, max, counted };
    if (counted && (min >= 2 || max >= 2) && !countsWithin(node, MAX_REPEAT))
      this.fail('invalid repeat count');
    return node;
  }

  /** After `\\Q`… : its characters, one set each. */
  private quotedLiteral(): Node[] {
    this.pos += 2;
    const end = this.source.indexOf('\\E', this.pos);
    const text = this.source.slice(this.pos, end === -1 ? undefined : end);
    this.pos = end === -1 ? this.source.length : end + 2;
    return Array.from(text, (char) => {
      const code = char.codePointAt(0) as number;
      return this.set([code, code]);
    });
  }

  private atom(): Node {
    const ch = this.peek() as string;
    switch (ch) {
      case '(':
        this.pos++;
        return this.group();
      case '[':
        this.pos++;
        return { kind: 'set', ranges: this.characterClass() };
      case '.':
        this.pos++;
        return { kind: 'set', ranges: this.flags.dotAll ? ALL : NOT_NEWLINE };
      case '^':
        this.pos++;
        return { kind: 'assert', assertion: this.flags.multiLine ? Assertion.LineStart : Assertion.Start };
      case '$':
        this.pos++;
        return { kind: 'assert', assertion: this.flags.multiLine ? Assertion.LineEnd : Assertion.End };
      case '*':
      case '+':
      case '?':
        return this.fail('missing argument to repetition operator');
      case '{':
        if (this.braces() !== null) this.fail('missing argument to repetition operator');
        this.pos++;
        return this.set([0x7b, 0x7b]);
      case '\\':
        this.pos++;
        return this.escape();
      default: {
        const code = this.source.codePointAt(this.pos) as number;
        this.pos += code > 0xffff ? 2 : 1;
        return this.set([code, code]);
      }
    }
  }

  /**
   * At `(?`: parses a flag group `(?flags)` (true; the flags now apply) or leaves any other group to
   * `group()` (false, position unchanged).
   */
  private flagGroup(): boolean {
    const match = /^\(\?([imsU]*)(?:-([imsU]*))?\)/.exec(this.source.slice(this.pos));
    if (match === null) return false;
    if (match[2] === '') this.fail('missing flags after -');
    this.pos += match[0].length;
    this.flags = this.applyFlags(match[1] as string, match[2] ?? '');
    return true;
  }

  private applyFlags(set: string, clear: string): Re2Flags {
    const flags = { ...this.flags };
    for (const [letters, value] of [
      [set, true],
      [clear, false],
    ] as const) {
      if (letters.includes('i')) flags.fold = value;
      if (letters.includes('m')) flags.multiLine = value;
      if (letters.includes('s')) flags.dotAll = value;
      // U (ungreedy) changes which match is preferred, never whether one exists.
    }
    return flags;
  }

  /** After `(`: a capturing, named, non-capturing or flag-scoped group. */
  private group(): Node {
    const saved = this.flags;
    if (this.peek() === '?') {
      const rest = this.source.slice(this.pos);
      const named = /^\?P?<([^>]*)>/.exec(rest);
      const scoped = /^\?([imsU]*)(?:-([imsU]*))?:/.exec(rest);
      if (named !== null && (named[0][1] === '<' || rest.startsWith('?P<'))) {
        const name = named[1] as string;
        if (!/^[A-Za-z0-9_]+$/.test(name)) this.fail(`invalid named capture "${name}"`);
        if (this.groupNames.has(name)) this.fail(`duplicate capture group name "${name}"`);
        this.groupNames.add(name);
        this.pos += named[0].length;
      } else if (scoped !== null) {
        if (scoped[2] === '') this.fail('missing flags after -');
        this.pos += scoped[0].length;
        this.flags = this.applyFlags(scoped[1] as string, scoped[2] ?? '');
      } else {
        // Lookaround, backreferences by name, atomic groups…: not RE2.
        this.fail('invalid or unsupported Perl syntax');
      }
    }
    const inner = this.alternation();
    this.flags = saved;
    if (this.peek() !== ')') this.fail("missing ')'");
    this.pos++;
    return inner;
  }

  /** After a backslash outside a class. */
  private escape(): Node {
    const ch = this.peek();
    switch (ch) {
      case 'A':
        this.pos++;
        return { kind: 'assert', assertion: Assertion.Start };
      case 'z':
        this.pos++;
        return { kind: 'assert', assertion: Assertion.End };
      case 'b':
      case 'B':
        this.pos++;
        return { kind: 'assert', assertion: ch === 'b' ? Assertion.WordBoundary : Assertion.NotWordBoundary };
      default:
        return { kind: 'set', ranges: this.escapeRanges() };
    }
  }

  /** The code points of an escape that stands for characters (outside or inside a class), folded. */
  private escapeRanges(): Ranges {
    const ch = this.peek();
    if (ch === undefined) this.fail('trailing backslash at end of expression');
    if (ch === 'p' || ch === 'P') this.unsupported('Unicode character classes (\\p) are not supported');
    if (/^[dDsSwW]$/.test(ch)) {
      this.pos++;
      const positive = RE2_CLASS_ESCAPES[ch.toLowerCase()] as Ranges;
      const members = this.flags.fold ? folded(positive) : positive;
      return ch === ch.toLowerCase() ? members : complement(members);
    }
    const code = this.escapeCodePoint();
    return this.flags.fold ? folded([code, code]) : [code, code];
  }

  /** The code point of a single-character escape; the position is just after the backslash. */
  private escapeCodePoint(): number {
    const ch = this.source[this.pos++] as string;
    const control = RE2_CONTROL_ESCAPES[ch];
    if (control !== undefined) return control;
    if (ch >= '0' && ch <= '7') {
      // \1–\7 alone are backreferences (invalid); otherwise up to three octal digits.
      if (ch !== '0' && !/[0-7]/.test(this.peek() ?? '')) this.fail('invalid escape sequence');
      let code = Number(ch);
      for (let i = 1; i < 3 && /[0-7]/.test(this.peek() ?? ''); i++)
        code = code * 8 + Number(this.source[this.pos++]);
      return code;
    }
    if (ch === 'x') {
      const braced = /^\{([0-9a-fA-F]+)\}/.exec(this.source.slice(this.pos));
      const plain = /^[0-9a-fA-F]{2}/.exec(this.source.slice(this.pos));
      const digits = braced?.[1] ?? plain?.[0];
      const code = digits === undefined ? NaN : parseInt(digits, 16);
      if (!(code <= MAX_CODE_POINT)) this.fail('invalid escape sequence');
      this.pos += (braced ?? plain)?.[0].length ?? 0;
      return code;
    }
    // Any other escaped ASCII punctuation (or space) is itself; letters, digits and non-ASCII are invalid.
    const code = ch.codePointAt(0) as number;
    if (code < 0x80 && !/[A-Za-z0-9]/.test(ch)) return code;
    return this.fail('invalid escape sequence');
  }

  /** After `[`: the class's code points (folded, then negated for `[^…]`). */
  private characterClass(): Ranges {
    const negated = this.peek() === '^';
    if (negated) this.pos++;
    const ranges: Ranges = [];
    let first = true;
    while (this.peek() !== ']' || first) {
      if (this.peek() === undefined) this.fail('missing closing ]');
      first = false;
      const close = this.source.indexOf(':]', this.pos);
      if (this.peek() === '[' && this.peek(1) === ':' && close !== -1) {
        // "[:" up to the first ":]" must name a POSIX class; without a ":]" the "[" is a literal.
        const posix = /^\[:(\^?)([a-z]+):\]$/.exec(this.source.slice(this.pos, close + 2));
        const members = posix === null ? undefined : POSIX_CLASSES[posix[2] as string];
        if (posix === null || members === undefined) this.fail('invalid character class range');
        this.pos = close + 2;
        const foldedMembers = this.flags.fold ? folded(members) : members;
        ranges.push(...(posix[1] === '^' ? complement(foldedMembers) : foldedMembers));
        continue;
      }
      if (this.peek() === '\\' && /[dDwWsSpP]/.test(this.peek(1) ?? '')) {
        this.pos++;
        ranges.push(...this.escapeRanges());
        continue;
      }
      const lo = this.classChar();
      let hi = lo;
      if (this.peek() === '-' && this.peek(1) !== ']' && this.peek(1) !== undefined) {
        this.pos++;
        hi = this.classChar();
        if (hi < lo) this.fail('invalid character class range');
      }
      ranges.push(lo, hi);
    }
    this.pos++;
    const members = this.flags.fold ? folded(ranges) : normalize(ranges);
    return negated ? complement(members) : members;
  }

  private classChar(): number {
    if (this.peek() === undefined) this.fail('missing closing ]');
    if (this.peek() === '\\') {
      this.pos++;
      if (this.peek() === undefined) this.fail('trailing backslash at end of expression');
      return this.escapeCodePoint();
    }
    const code = this.source.codePointAt(this.pos) as number;
    this.pos += code > 0xffff ? 2 : 1;
    return code;
  }
}

const enum Op {
  Set,
  Split,
  Jump,
  Assert,
  Match,
}

interface Program {
  ops: Op[];
  /** Set: index into `sets`; Split/Jump: first target; Assert: the assertion. */
  arg1: number[];
  /** Split: second target. */
  arg2: number[];
  sets: Ranges[];
}

function emit(program: Program, op: Op, arg1 = 0, arg2 = 0): number {
  if (program.ops.length >= MAX_PROGRAM_SIZE) throw new RegexUnsupportedError('pattern too complex');
  program.ops.push(op);
  program.arg1.push(arg1);
  program.arg2.push(arg2);
  return program.ops.length - 1;
}

function compileNode(program: Program, node: Node): void {
  switch (node.kind) {
    case 'set':
      program.sets.push(node.ranges);
      emit(program, Op.Set, program.sets.length - 1);
      return;
    case 'assert':
      emit(program, Op.Assert, node.assertion);
      return;
    case 'sequence':
      for (const item of node.items) compileNode(program, item);
      return;
    case 'alternation': {
      const jumps: number[] = [];
      node.options.forEach((option, index) => {
        const isLast = index === node.options.length - 1;
        const split = isLast ? -1 : emit(program, Op.Split, program.ops.length + 1);
        compileNode(program, option);
        if (!isLast) {
          jumps.push(emit(program, Op.Jump));
          program.arg2[split] = program.ops.length;
        }
      });
      for (const jump of jumps) program.arg1[jump] = program.ops.length;
      return;
    }
    case 'repeat': {
      for (let i = 0; i < node.min; i++) compileNode(program, node.node);
      if (node.max === Infinity) {
        const split = emit(program, Op.Split, program.ops.length + 1);
        compileNode(program, node.node);
        emit(program, Op.Jump, split);
        program.arg2[split] = program.ops.length;
        return;
      }
      const splits: number[] = [];
      for (let i = node.min; i < node.max; i++) {
        splits.push(emit(program, Op.Split, program.ops.length + 1));
        compileNode(program, node.node);
      }
      for (const split of splits) program.arg2[split] = program.ops.length;
      return;
    }
  }
}

function inRanges(ranges: Ranges, code: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) {
    if (code < (ranges[i] as number)) return false;
    if (code <= (ranges[i + 1] as number)) return true;
  }
  return false;
}

/** Why `pattern` cannot be used with `matches` (invalid, unsupported or too long), or null when it can. */
export function regexProblem(pattern: string, options: RegexOptions = {}): string | null {
  try {
    compileRegex(pattern, options);
    return null;
  } catch (error) {
    return error instanceof RegexSyntaxError ? error.message : String(error);
  }
}

/**
 * Whether `pattern` is valid in its syntax and runs here ('valid'), is not valid in its syntax ('invalid'),
 * or is valid but beyond this engine: a construct it does not support, or over its size bounds
 * ('unsupported'). Importers use this to tell a pattern that can never match from one they cannot carry.
 */
export function regexSupport(
  pattern: string,
  options: RegexOptions = {},
): 'valid' | 'invalid' | 'unsupported' {
  try {
    compileRegex(pattern, options);
    return 'valid';
  } catch (error) {
    return error instanceof RegexUnsupportedError ? 'unsupported' : 'invalid';
  }
}

/**
 * Compiles `pattern` into a tester that reports whether it matches somewhere in the first
 * MAX_INPUT_LENGTH code units of its input. Throws RegexSyntaxError for invalid patterns and
 * RegexUnsupportedError (a RegexSyntaxError) for unsupported ones. The tester reuses its thread lists, so it
 * allocates nothing per call.
 */
export function compileRegex(pattern: string, options: RegexOptions = {}): (input: string) => boolean {
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw new RegexUnsupportedError(`longer than ${MAX_PATTERN_LENGTH} characters`);
  const program: Program = { ops: [], arg1: [], arg2: [], sets: [] };
  const caseInsensitive = options.caseInsensitive === true;
  const parser =
    options.syntax === 're2' ? new Re2Parser(pattern, caseInsensitive) : new Parser(pattern, caseInsensitive);
  compileNode(program, parser.parse());
  emit(program, Op.Match);
  const size = program.ops.length;
  const ops = Uint8Array.from(program.ops);
  const arg1 = Int32Array.from(program.arg1);
  const arg2 = Int32Array.from(program.arg2);
  const sets = program.sets;
  let current = new Int32Array(size);
  let next = new Int32Array(size);
  const stack = new Int32Array(size);
  /** The generation in which each pc was last added to a list; one generation per input position. */
  const seen = new Int32Array(size).fill(-1);

  let input = '';
  let end = 0;
  let generation = 0;

  const assertionHolds = (assertion: number, pos: number): boolean => {
    if (assertion === Assertion.Start) return pos === 0;
    // `$` is the end of the whole input: an input longer than the cap never reaches it.
    if (assertion === Assertion.End) return pos === input.length;
    if (assertion === Assertion.LineStart) return pos === 0 || input.charCodeAt(pos - 1) === 0x0a;
    if (assertion === Assertion.LineEnd) return pos === input.length || input.charCodeAt(pos) === 0x0a;
    const isWord =
      assertion === Assertion.FoldedWordBoundary || assertion === Assertion.FoldedNotWordBoundary
        ? isFoldedWordCode
        : isWordCode;
    const before = pos > 0 && isWord(input.charCodeAt(pos - 1));
    const after = pos < input.length && isWord(input.charCodeAt(pos));
    const boundary = assertion === Assertion.WordBoundary || assertion === Assertion.FoldedWordBoundary;
    return (before !== after) === boundary;
  };

  /** Adds the threads reachable from `pc` without consuming input; -1 when one of them matches. */
  const addThread = (list: Int32Array, count: number, pc: number, pos: number): number => {
    let top = 0;
    stack[top++] = pc;
    while (top > 0) {
      const at = stack[--top] as number;
      if (seen[at] === generation) continue;
      seen[at] = generation;
      switch (ops[at]) {
        case Op.Match:
          return -1;
        case Op.Jump:
          stack[top++] = arg1[at] as number;
          break;
        case Op.Split:
          stack[top++] = arg2[at] as number;
          stack[top++] = arg1[at] as number;
          break;
        case Op.Assert:
          if (assertionHolds(arg1[at] as number, pos)) stack[top++] = at + 1;
          break;
        default:
          list[count++] = at;
      }
    }
    return count;
  };

  const nextGeneration = (): void => {
    if (++generation === 0x7fffffff) {
      seen.fill(-1);
      generation = 0;
    }
  };

  return (text: string): boolean => {
    input = text;
    end = Math.min(text.length, MAX_INPUT_LENGTH);
    nextGeneration();
    let currentCount = addThread(current, 0, 0, 0);
    let pos = 0;
    while (currentCount >= 0 && pos < end) {
      let code = text.charCodeAt(pos);
      let width = 1;
      if (code >= 0xd800 && code <= 0xdbff && pos + 1 < end) {
        const low = text.charCodeAt(pos + 1);
        if (low >= 0xdc00 && low <= 0xdfff) {
          code = 0x10000 + ((code - 0xd800) << 10) + (low - 0xdc00);
          width = 2;
        }
      }
      pos += width;
      nextGeneration();
      let nextCount = 0;
      for (let i = 0; i < currentCount && nextCount >= 0; i++) {
        const pc = current[i] as number;
        if (inRanges(sets[arg1[pc] as number] as Ranges, code))
          nextCount = addThread(next, nextCount, pc + 1, pos);
      }
      // Unanchored search: a match may also start at the next position.
      if (nextCount >= 0) nextCount = addThread(next, nextCount, 0, pos);
      const swap = current;
      current = next;
      next = swap;
      currentCount = nextCount;
    }
    input = '';
    return currentCount < 0;
  };
}
