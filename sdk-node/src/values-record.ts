/**
 * The object `allFlags` answers: every flag key of a ruleset, built once per call. V8 keeps objects that get
 * their keys one by one past a handful, and every null-prototype object, in dictionary mode, which costs tens
 * of nanoseconds per key. A constructor generated for the ruleset's keys builds an object with all its
 * properties in place instead. Its prototype is an empty object without a prototype, so no key is inherited
 * and a flag named "__proto__" is an own key like any other.
 */
import type { JsonValue } from '@switchboard/core';

export type ValuesRecord = Record<string, JsonValue>;

/** Builds the record of `keys` from their values, in the same order. */
export type RecordBuilder = (values: readonly JsonValue[]) => ValuesRecord;

/** A builder for records of `keys`; where code generation is not allowed, one that fills a null-prototype object. */
export function recordBuilder(keys: readonly string[]): RecordBuilder {
  try {
    // The source holds only JSON string literals: no key can become code.
    const body = keys.map((key, index) => `this[${JSON.stringify(key)}] = values[${index}];`).join('\n');
    const Values = new Function('values', `"use strict";\n${body}`) as unknown as new (
      values: readonly JsonValue[],
    ) => ValuesRecord;
    Values.prototype = Object.create(null) as object;
    return (values) => new Values(values);
  } catch {
    return (values) => {
      const record = Object.create(null) as ValuesRecord;
      for (let index = 0; index < keys.length; index++)
        record[keys[index] as string] = values[index] as JsonValue;
      return record;
    };
  }
}
