/** Where commands write: human tables and messages, or JSON for scripts. */
export interface Output {
  readonly json: boolean;
  readonly color: Colors;
  /** Writes one line (or block) of human output to stdout. */
  line(text?: string): void;
  /** Writes a JSON document to stdout (pretty, stable key order as received). */
  data(value: unknown): void;
  /** Writes a notice to stderr (kept off stdout so pipes carry only data). */
  note(text: string): void;
}

type Paint = (text: string) => string;

export interface Colors {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

const ansi =
  (open: number, close: number): Paint =>
  (text) =>
    `\u001b[${open}m${text}\u001b[${close}m`;

const identity: Paint = (text) => text;

export function makeColors(enabled: boolean): Colors {
  if (!enabled) {
    return {
      bold: identity,
      dim: identity,
      red: identity,
      green: identity,
      yellow: identity,
      cyan: identity,
    };
  }
  return {
    bold: ansi(1, 22),
    dim: ansi(2, 22),
    red: ansi(31, 39),
    green: ansi(32, 39),
    yellow: ansi(33, 39),
    cyan: ansi(36, 39),
  };
}

/** Colours only when stdout is a terminal and NO_COLOR (https://no-color.org) is unset or empty. */
export function colorEnabled(stream: { isTTY?: boolean }, env: Readonly<Record<string, string | undefined>>) {
  return stream.isTTY === true && !env.NO_COLOR && env.TERM !== 'dumb';
}

export function createOutput(json: boolean, color: boolean): Output {
  return {
    json,
    color: makeColors(color && !json),
    line: (text = '') => process.stdout.write(`${text}\n`),
    data: (value) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`),
    note: (text) => process.stderr.write(`${text}\n`),
  };
}

// eslint-disable-next-line no-control-regex
const ANSI_PATTERN = /\u001b\[[0-9;]*m/g;

function visibleLength(text: string): number {
  return [...text.replace(ANSI_PATTERN, '')].length;
}

/** A left-aligned text table; cells may contain colour codes. Empty tables print `empty` instead. */
export function renderTable(headers: string[], rows: string[][], empty = '(none)'): string {
  if (rows.length === 0) return empty;
  const widths = headers.map((header, column) =>
    Math.max(visibleLength(header), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const format = (cells: string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1 ? cell : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd();
  return [format(headers), ...rows.map(format)].join('\n');
}
