/**
 * The `matches` operator's regular expressions: a JavaScript-syntax subset run by a Thompson-NFA simulation
 * (a "Pike VM"), so matching time is linear in the input whatever the pattern — no pattern can backtrack
 * catastrophically, because nothing backtracks.
 *
 * Supported: literals, `.`, classes `[a-z]` `[^…]`, `\d \D \w \W \s \S`, escapes (`\t \n \v \f \r \0 \xHH
 * \uHHHH \u{H…}` and any escaped punctuation), groups `(…)` `(?:…)` `(?<name>…)`, alternation `|`, quantifiers
 * `* + ? {n} {n,} {n,m}` (lazy forms accepted; they match the same strings), anchors `^ $` and `\b \B`.
 * Rejected: backreferences and lookaround (they cannot run in linear time), other escapes.
 * Semantics are JavaScript's without flags, over code points: case-sensitive, `.` excludes line terminators,
 * the pattern matches anywhere unless anchored. Only the first MAX_INPUT_LENGTH code units are scanned, so
 * `$` (the end of the whole input) never matches an input longer than that.
 */

/** Longest pattern accepted, in UTF-16 code units. */
export const MAX_PATTERN_LENGTH = 500;
/** Only this many leading UTF-16 code units of the input are tested. */
export const MAX_INPUT_LENGTH = 1_000;
/** Largest compiled program (counted repetitions expand), which bounds the work per input character. */
const MAX_PROGRAM_SIZE = 2_000;
const MAX_REPEAT = 1_000;
const MAX_CODE_POINT = 0x10ffff;

export class RegexSyntaxError extends Error {}

/** Sorted, non-overlapping inclusive ranges [lo0, hi0, lo1, hi1, …]. */
type Ranges = number[];

type Node =
  | { kind: 'set'; ranges: Ranges }
  | { kind: 'sequence'; items: Node[] }
  | { kind: 'alternation'; options: Node[] }
  | { kind: 'repeat'; node: Node; min: number; max: number }
  | { kind: 'assert'; assertion: Assertion };

const enum Assertion {
  Start,
  End,
  WordBoundary,
  NotWordBoundary,
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

function isWordCode(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0x5f ||
    (code >= 0x61 && code <= 0x7a)
  );
}

class Parser {
  private pos = 0;
  constructor(private readonly source: string) {}

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
        this.fail(`repetition over ${MAX_REPEAT}`);
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
        return { kind: 'set', ranges: [code, code] };
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
      } else if (/^\?<?[=!]/.test(rest)) this.fail('lookahead and lookbehind are not supported');
      else this.fail('invalid group');
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
      return { kind: 'assert', assertion: ch === 'b' ? Assertion.WordBoundary : Assertion.NotWordBoundary };
    }
    return { kind: 'set', ranges: this.escapeRanges() };
  }

  /** The code points of the escape after a backslash (outside or inside a class, except \b). */
  private escapeRanges(): Ranges {
    const ch = this.source[this.pos++];
    if (ch === undefined) this.fail('\\ at end of pattern');
    const classEscape = CLASS_ESCAPES[ch];
    if (classEscape !== undefined) return classEscape;
    const control = CONTROL_ESCAPES[ch];
    if (control !== undefined) return [control, control];
    if (ch === '0' && !/\d/.test(this.peek() ?? '')) return [0, 0];
    if (ch === 'x') return this.hexEscape(/^[0-9a-fA-F]{2}/);
    if (ch === 'u') {
      if (this.peek() === '{') {
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(this.source.slice(this.pos));
        const code = braced === null ? NaN : parseInt(braced[1] as string, 16);
        if (braced === null || code > MAX_CODE_POINT) this.fail('invalid \\u{…} escape');
        this.pos += braced[0].length;
        return [code, code];
      }
      return this.hexEscape(/^[0-9a-fA-F]{4}/);
    }
    if (/\d/.test(ch) || ch === 'k') this.fail('backreferences are not supported');
    if (/[A-Za-z0-9]/.test(ch)) this.fail(`unsupported escape \\${ch}`);
    const code = this.source.codePointAt(this.pos - 1) as number;
    if (code > 0xffff) this.pos++;
    return [code, code];
  }

  private hexEscape(digits: RegExp): Ranges {
    const match = digits.exec(this.source.slice(this.pos));
    if (match === null) this.fail('invalid hexadecimal escape');
    this.pos += match[0].length;
    const code = parseInt(match[0], 16);
    return [code, code];
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
    return negated ? complement(ranges) : normalize(ranges);
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
  if (program.ops.length >= MAX_PROGRAM_SIZE) throw new RegexSyntaxError('pattern too complex');
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

/** Why `pattern` cannot be used with `matches`, or null when it can. */
export function regexProblem(pattern: string): string | null {
  try {
    compileRegex(pattern);
    return null;
  } catch (error) {
    return error instanceof RegexSyntaxError ? error.message : String(error);
  }
}

/**
 * Compiles `pattern` into a tester that reports whether it matches somewhere in the first
 * MAX_INPUT_LENGTH code units of its input. Throws RegexSyntaxError for unsupported or invalid patterns.
 * The tester reuses its thread lists, so it allocates nothing per call.
 */
export function compileRegex(pattern: string): (input: string) => boolean {
  if (pattern.length > MAX_PATTERN_LENGTH)
    throw new RegexSyntaxError(`longer than ${MAX_PATTERN_LENGTH} characters`);
  const program: Program = { ops: [], arg1: [], arg2: [], sets: [] };
  compileNode(program, new Parser(pattern).parse());
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
    const before = pos > 0 && isWordCode(input.charCodeAt(pos - 1));
    const after = pos < input.length && isWordCode(input.charCodeAt(pos));
    return (before !== after) === (assertion === Assertion.WordBoundary);
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
