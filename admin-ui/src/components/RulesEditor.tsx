import type { AttributeClause, Clause, Operator, Rule, Serve } from '@switchboard/core';
import {
  formatValues,
  isoToLocalInput,
  localInputToIso,
  OPERATORS,
  operatorInfo,
  parseValues,
} from '../operators';
import { ServeEditor } from './ServeEditor';
import { useTypedText } from './ui';

interface RulesEditorProps {
  id: string;
  rules: Rule[];
  /** What the users of a saved rule get now, to show how many a change moves; null when meaningless. */
  servedNow: (ruleId: string) => Serve | null;
  variants: string[];
  primary: string;
  segments: string[];
  readOnly: boolean;
  onChange: (rules: Rule[]) => void;
}

function newRuleId(rules: Rule[]): string {
  for (let n = rules.length + 1; ; n++) {
    const id = `rule-${n}`;
    if (!rules.some((r) => r.id === id)) return id;
  }
}

/** Rules are checked in order; the first whose conditions all match decides what is served. */
export function RulesEditor({
  id,
  rules,
  servedNow,
  variants,
  primary,
  segments,
  readOnly,
  onChange,
}: RulesEditorProps) {
  const replace = (index: number, rule: Rule | null) =>
    onChange(
      rule === null ? rules.filter((_, i) => i !== index) : rules.map((r, i) => (i === index ? rule : r)),
    );
  const move = (index: number, delta: number) => {
    const next = [...rules];
    const [moved] = next.splice(index, 1);
    next.splice(index + delta, 0, moved!);
    onChange(next);
  };
  return (
    <section class="rules" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`}>Rules</h3>
      {rules.length === 0 ? (
        <p class="muted">No rules: every context that is not an individual target gets the default.</p>
      ) : null}
      <ol class="rule-list">
        {rules.map((rule, index) => (
          <li key={rule.id} class="card rule">
            <div class="rule-head">
              <h4>Rule {index + 1}</h4>
              <label class="inline grow">
                Description
                <input
                  value={rule.description ?? ''}
                  disabled={readOnly}
                  onInput={(e) => {
                    const description = e.currentTarget.value;
                    const { description: _old, ...rest } = rule;
                    replace(index, description === '' ? rest : { ...rest, description });
                  }}
                />
              </label>
              {readOnly ? null : (
                <div class="actions">
                  <button
                    type="button"
                    class="small"
                    disabled={index === 0}
                    onClick={() => move(index, -1)}
                    aria-label={`Move rule ${index + 1} up`}
                  >
                    ↑
                  </button>
                  <button
                    type="button"
                    class="small"
                    disabled={index === rules.length - 1}
                    onClick={() => move(index, 1)}
                    aria-label={`Move rule ${index + 1} down`}
                  >
                    ↓
                  </button>
                  <button type="button" class="small danger-text" onClick={() => replace(index, null)}>
                    Remove rule {index + 1}
                  </button>
                </div>
              )}
            </div>
            <Clauses
              id={`${id}-${rule.id}`}
              clauses={rule.clauses}
              segments={segments}
              readOnly={readOnly}
              onChange={(clauses) => replace(index, { ...rule, clauses })}
            />
            <ServeEditor
              id={`${id}-${rule.id}-serve`}
              legend={`Rule ${index + 1} serves`}
              serve={rule.serve}
              before={servedNow(rule.id)}
              variants={variants}
              primary={primary}
              readOnly={readOnly}
              onChange={(serve: Serve) => replace(index, { ...rule, serve })}
            />
          </li>
        ))}
      </ol>
      {readOnly ? null : (
        <button
          type="button"
          onClick={() =>
            onChange([...rules, { id: newRuleId(rules), clauses: [], serve: { variant: primary } }])
          }
        >
          Add rule
        </button>
      )}
    </section>
  );
}

interface ClausesProps {
  id: string;
  clauses: Clause[];
  segments: string[];
  readOnly: boolean;
  onChange: (clauses: Clause[]) => void;
}

const ATTRIBUTE_SUGGESTIONS = ['userId', 'email', 'country', 'plan', 'appVersion', 'createdAt'];

function Clauses({ id, clauses, segments, readOnly, onChange }: ClausesProps) {
  const replace = (index: number, clause: Clause | null) =>
    onChange(
      clause === null
        ? clauses.filter((_, i) => i !== index)
        : clauses.map((c, i) => (i === index ? clause : c)),
    );
  return (
    <div class="clauses">
      {clauses.length === 0 ? <p class="muted">No conditions: matches every context.</p> : null}
      {clauses.map((clause, index) => (
        <div key={index} class="clause" role="group" aria-label={`Condition ${index + 1}`}>
          <span class="clause-joiner">{index === 0 ? 'If' : 'and'}</span>
          {'segment' in clause ? (
            <SegmentClauseInputs
              clause={clause}
              segments={segments}
              readOnly={readOnly}
              onChange={(c) => replace(index, c)}
            />
          ) : (
            <AttributeClauseInputs
              id={`${id}-clause-${index}`}
              attributeList={`${id}-attributes`}
              clause={clause}
              readOnly={readOnly}
              onChange={(c) => replace(index, c)}
            />
          )}
          {readOnly ? null : (
            <button
              type="button"
              class="small danger-text remove"
              aria-label={`Remove condition ${index + 1}`}
              onClick={() => replace(index, null)}
            >
              ✕
            </button>
          )}
        </div>
      ))}
      <datalist id={`${id}-attributes`}>
        {ATTRIBUTE_SUGGESTIONS.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      {readOnly ? null : (
        <div class="actions">
          <button
            type="button"
            class="small"
            onClick={() => onChange([...clauses, { attribute: '', op: 'in', values: [] }])}
          >
            Add condition
          </button>
          <button
            type="button"
            class="small"
            disabled={segments.length === 0}
            title={segments.length === 0 ? 'No segments exist yet' : undefined}
            onClick={() => onChange([...clauses, { segment: segments[0]! }])}
          >
            Add segment condition
          </button>
        </div>
      )}
    </div>
  );
}

function SegmentClauseInputs({
  clause,
  segments,
  readOnly,
  onChange,
}: {
  clause: { segment: string; negate?: boolean };
  segments: string[];
  readOnly: boolean;
  onChange: (clause: Clause) => void;
}) {
  const options = segments.includes(clause.segment) ? segments : [clause.segment, ...segments];
  return (
    <>
      <select
        class="segment-mode"
        aria-label="In or not in"
        value={clause.negate === true ? 'not' : 'in'}
        disabled={readOnly}
        onChange={(e) =>
          onChange({ segment: clause.segment, ...(e.currentTarget.value === 'not' ? { negate: true } : {}) })
        }
      >
        <option value="in">in segment</option>
        <option value="not">not in segment</option>
      </select>
      <select
        class="segment"
        aria-label="Segment"
        value={clause.segment}
        disabled={readOnly}
        onChange={(e) => onChange({ ...clause, segment: e.currentTarget.value })}
      >
        {options.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
    </>
  );
}

function AttributeClauseInputs({
  id,
  attributeList,
  clause,
  readOnly,
  onChange,
}: {
  id: string;
  /** Id of the datalist of suggested attribute names. */
  attributeList: string;
  clause: AttributeClause;
  readOnly: boolean;
  onChange: (clause: Clause) => void;
}) {
  const info = operatorInfo(clause.op);
  return (
    <>
      <input
        class="attribute"
        aria-label="Attribute"
        placeholder="attribute"
        list={attributeList}
        value={clause.attribute}
        disabled={readOnly}
        required
        onInput={(e) => onChange({ ...clause, attribute: e.currentTarget.value.trim() })}
      />
      <label class="inline negate">
        <input
          type="checkbox"
          checked={clause.negate === true}
          disabled={readOnly}
          onChange={(e) => {
            const { negate: _old, ...rest } = clause;
            onChange(e.currentTarget.checked ? { ...rest, negate: true } : rest);
          }}
        />
        not
      </label>
      <select
        class="op"
        aria-label="Operator"
        value={clause.op}
        disabled={readOnly}
        onChange={(e) => {
          const op = e.currentTarget.value as Operator;
          const nextInput = operatorInfo(op).input;
          // Values typed for one kind of input rarely mean anything to another: start over when it changes.
          onChange({ ...clause, op, values: nextInput === info.input ? clause.values : [] });
        }}
      >
        {OPERATORS.map((o) => (
          <option key={o.op} value={o.op}>
            {o.label}
          </option>
        ))}
      </select>
      <ClauseValues
        id={id}
        clause={clause}
        readOnly={readOnly}
        onChange={(values) => onChange({ ...clause, values })}
      />
    </>
  );
}

function ClauseValues({
  id,
  clause,
  readOnly,
  onChange,
}: {
  id: string;
  clause: AttributeClause;
  readOnly: boolean;
  onChange: (values: AttributeClause['values']) => void;
}) {
  const input = operatorInfo(clause.op).input;
  const formatted = formatValues(input, clause.values);
  const [text, setText] = useTypedText(formatted, (typed) =>
    formatValues(input, parseValues(input, typed).values),
  );
  if (input === 'none') return null;
  const problem = text === '' ? null : parseValues(input, text).problem;
  const problemId = `${id}-problem`;
  const update = (typed: string) => {
    setText(typed);
    onChange(parseValues(input, typed).values);
  };
  const common = {
    disabled: readOnly,
    'aria-invalid': problem !== null,
    'aria-describedby': problem === null ? undefined : problemId,
  };
  return (
    <span class="values">
      {input === 'date' ? (
        <input
          type="datetime-local"
          title="Your local time"
          aria-label="Date and time (your local time)"
          value={isoToLocalInput(text)}
          {...common}
          onInput={(e) => update(localInputToIso(e.currentTarget.value))}
        />
      ) : input === 'regex' ? (
        <input
          aria-label="Regular expression"
          value={text}
          {...common}
          onInput={(e) => update(e.currentTarget.value)}
        />
      ) : (
        <textarea
          aria-label={input === 'semver' ? 'Versions, one per line' : 'Values, one per line'}
          rows={Math.max(1, text.split('\n').length)}
          value={text}
          {...common}
          onInput={(e) => update(e.currentTarget.value)}
        />
      )}
      {problem === null ? null : (
        <span id={problemId} class="field-problem">
          {problem}
        </span>
      )}
    </span>
  );
}
