/** Renders a change set's plan like a terraform plan: one line per item, then its field changes. */
import type { DiffOperation } from './api-types';
import type { Colors } from './output';

export type PlanAction = 'create' | 'update' | 'delete';

export interface PlanItem {
  kind: 'flag' | 'segment';
  key: string;
  action: PlanAction;
  /** The server's version before the change (null when the item is new). */
  currentVersion: number | null;
  /** The version the file was exported at (null when the file does not say). */
  baseVersion: number | null;
  /** The version after the change (null for a delete). */
  newVersion: number | null;
  /** True when the server's version is not the file's base version: changed since the export. */
  conflict: boolean;
  diff: DiffOperation[];
}

export interface ChangesetResult {
  dryRun: boolean;
  /** Identifies the applied change set (its audit entries carry it); null for a dry run or an empty plan. */
  changeSet: string | null;
  message: string;
  changes: PlanItem[];
  /** Items of the file that already match the server. */
  unchanged: number;
}

const SYMBOL: Record<PlanAction, string> = { create: '+', update: '~', delete: '-' };
const MAX_VALUE_LENGTH = 100;

function value(json: unknown): string {
  const text = JSON.stringify(json) ?? 'undefined';
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

function count(items: PlanItem[], action: PlanAction): number {
  return items.filter((item) => item.action === action).length;
}

export function renderPlan(result: ChangesetResult, color: Colors): string {
  const paint: Record<PlanAction, (text: string) => string> = {
    create: color.green,
    update: color.yellow,
    delete: color.red,
  };
  const { changes } = result;
  const summary =
    `${count(changes, 'create')} to create, ${count(changes, 'update')} to change, ` +
    `${count(changes, 'delete')} to delete (${result.unchanged} unchanged)`;
  if (changes.length === 0)
    return `No changes: the server already matches the file (${result.unchanged} items).`;
  const lines = [`Plan: ${summary}.`, ''];
  for (const item of changes) {
    const versions =
      item.action === 'create'
        ? ''
        : item.action === 'delete'
          ? ` (version ${item.currentVersion})`
          : ` (version ${item.currentVersion} → ${item.newVersion ?? (item.currentVersion ?? 0) + 1})`;
    const conflict = item.conflict
      ? color.red(` ! changed on the server since the export (file: version ${item.baseVersion ?? 'none'})`)
      : '';
    lines.push(paint[item.action](`${SYMBOL[item.action]} ${item.kind} ${item.key}`) + versions + conflict);
    if (item.action !== 'update') continue;
    for (const operation of item.diff) {
      const path = operation.path || '/';
      if (operation.op === 'replace') {
        lines.push(color.yellow(`    ~ ${path}: ${value(operation.before)} → ${value(operation.after)}`));
      } else if (operation.op === 'add') {
        lines.push(color.green(`    + ${path}: ${value(operation.after)}`));
      } else {
        lines.push(color.red(`    - ${path}: ${value(operation.before)}`));
      }
    }
  }
  return lines.join('\n');
}
