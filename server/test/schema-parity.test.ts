/**
 * The SQLite and PostgreSQL schemas are two declarations of one data model (drizzle has no
 * dialect-neutral table builder). This test keeps them from drifting apart: the same tables, the
 * same columns with the same nullability, defaults and keys, the same indexes, the same foreign keys.
 */
import { getTableConfig as pgTableConfig, PgTable } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { describe, expect, it } from 'vitest';
import * as pgSchema from '../src/store/schema-pg';
import * as sqliteSchema from '../src/store/schema';

interface ColumnShape {
  name: string;
  notNull: boolean;
  primary: boolean;
  hasDefault: boolean;
  isUnique: boolean;
}

interface TableShape {
  name: string;
  columns: ColumnShape[];
  primaryKeys: string[][];
  indexes: { name: string; unique: boolean; columns: string[] }[];
  foreignKeys: { columns: string[]; foreignTable: string; foreignColumns: string[] }[];
}

type AnyConfig = ReturnType<typeof sqliteTableConfig> | ReturnType<typeof pgTableConfig>;

function shapeOf(config: AnyConfig): TableShape {
  const columnName = (column: { name: string }) => column.name;
  // SQLite's INTEGER PRIMARY KEY is the rowid, which drizzle reports as defaulted; the store always
  // writes these ids itself (the audit chain numbers its entries), so the difference is not one.
  const hasDefault = (column: AnyConfig['columns'][number]) =>
    column.hasDefault && !(column.primary && column.columnType === 'SQLiteInteger');
  return {
    name: config.name,
    columns: config.columns
      .map((column) => ({
        name: column.name,
        notNull: column.notNull,
        primary: column.primary,
        hasDefault: hasDefault(column),
        isUnique: column.isUnique,
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    primaryKeys: config.primaryKeys.map((key) => key.columns.map(columnName)),
    indexes: config.indexes
      .map((index) => ({
        name: index.config.name ?? '',
        unique: index.config.unique ?? false,
        columns: index.config.columns.map((column) => ('name' in column ? String(column.name) : '?')),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    foreignKeys: config.foreignKeys.map((key) => {
      const reference = key.reference();
      return {
        columns: reference.columns.map(columnName),
        foreignTable: reference.foreignTable[Symbol.for('drizzle:Name') as never] as string,
        foreignColumns: reference.foreignColumns.map(columnName),
      };
    }),
  };
}

function tablesOf<T>(
  schema: Record<string, unknown>,
  kind: abstract new (...args: never[]) => T,
): Map<string, T> {
  return new Map(
    Object.entries(schema)
      .filter((entry): entry is [string, T] => entry[1] instanceof kind)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

const sqliteTables = tablesOf(sqliteSchema, SQLiteTable);
const pgTables = tablesOf(pgSchema, PgTable);

describe('SQLite and PostgreSQL schemas', () => {
  it('export the same tables', () => {
    expect(sqliteTables.size).toBeGreaterThan(10);
    expect([...pgTables.keys()]).toEqual([...sqliteTables.keys()]);
  });

  for (const [exportName, sqliteTable] of sqliteTables) {
    it(`declare ${exportName} alike`, () => {
      const pgTable = pgTables.get(exportName);
      expect(pgTable, `schema-pg.ts has no ${exportName}`).toBeDefined();
      expect(shapeOf(pgTableConfig(pgTable as PgTable))).toEqual(shapeOf(sqliteTableConfig(sqliteTable)));
    });
  }
});
