/** Renders a change set's plan like a terraform plan: one line per item, then its field changes. */
import type { ChangeAction, ChangesetResult, PlannedChange } from '@switchboard/core';
import type { Colors } from './output';

const SYMBOL: Record<ChangeAction, string> = { create: '+', update: '~', delete: '-' };
const MAX_VALUE_LENGTH = 100;

function value(json: unknown): string {
  const text = JSON.stringify(json) ?? 'undefined';
  return text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text;
}

function count(items: PlannedChange[], action: ChangeAction): number {
  return items.filter((item) => item.action === action).length;
}

export function renderPlan(result: ChangesetResult, color: Colors): string {
  const paint: Record<ChangeAction, (text: string) => string> = {
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
