import { describe, expect, it } from 'vitest';
import { colorEnabled, makeColors, renderTable } from '../src/output';
import type { ChangesetResult } from '@switchboard/core';
import { renderPlan } from '../src/plan';

describe('colorEnabled', () => {
  it('colours only a terminal, and never with NO_COLOR or TERM=dumb', () => {
    expect(colorEnabled({ isTTY: true }, {})).toBe(true);
    expect(colorEnabled({ isTTY: false }, {})).toBe(false);
    expect(colorEnabled({}, {})).toBe(false);
    expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colorEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
  });
});

describe('renderTable', () => {
  it('aligns columns by visible width, ignoring colour codes', () => {
    const red = makeColors(true).red;
    expect(
      renderTable(
        ['KEY', 'STATE'],
        [
          [red('a'), 'on'],
          ['longer-key', red('KILLED')],
        ],
      ),
    ).toBe(['KEY         STATE', `${red('a')}           on`, `longer-key  ${red('KILLED')}`].join('\n'));
  });

  it('prints the empty text for no rows', () => {
    expect(renderTable(['KEY'], [], 'no flags')).toBe('no flags');
  });
});

describe('renderPlan', () => {
  const plain = makeColors(false);
  const result: ChangesetResult = {
    dryRun: true,
    changeSet: null,
    message: 'm',
    unchanged: 4,
    changes: [
      {
        kind: 'segment',
        key: 'staff',
        action: 'create',
        currentVersion: null,
        baseVersion: null,
        newVersion: 1,
        conflict: false,
        diff: [],
      },
      {
        kind: 'flag',
        key: 'checkout-v2',
        action: 'update',
        currentVersion: 5,
        baseVersion: 3,
        newVersion: 6,
        conflict: true,
        diff: [
          { op: 'replace', path: '/environments/production/enabled', before: false, after: true },
          { op: 'add', path: '/tags/1', after: 'web' },
          { op: 'remove', path: '/description', before: 'old' },
        ],
      },
      {
        kind: 'flag',
        key: 'old',
        action: 'delete',
        currentVersion: 2,
        baseVersion: null,
        newVersion: null,
        conflict: false,
        diff: [],
      },
    ],
  };

  it('summarises, then lists each item with its field changes, like a terraform plan', () => {
    expect(renderPlan(result, plain)).toBe(
      [
        'Plan: 1 to create, 1 to change, 1 to delete (4 unchanged).',
        '',
        '+ segment staff',
        '~ flag checkout-v2 (version 5 → 6) ! changed on the server since the export (file: version 3)',
        '    ~ /environments/production/enabled: false → true',
        '    + /tags/1: "web"',
        '    - /description: "old"',
        '- flag old (version 2)',
      ].join('\n'),
    );
  });

  it('says when there is nothing to do', () => {
    expect(renderPlan({ ...result, changes: [] }, plain)).toBe(
      'No changes: the server already matches the file (4 items).',
    );
  });
});
