import type { Rollout, Serve } from '@switchboard/core';
import {
  DEFAULT_BUCKETS,
  allocationOf,
  bucketsOf,
  formatPercent,
  movedUsers,
  percentDecimals,
  percentToWeight,
  setShare,
  totalWeight,
  weightToPercent,
} from '../rollout';
import { deepEqual } from '../diff';
import { useTypedText } from './ui';

interface ServeEditorProps {
  /** Unique prefix for element ids. */
  id: string;
  legend: string;
  serve: Serve;
  /** The saved serve this one replaces, to show how many users a change moves; null for a new rule. */
  before: Serve | null;
  variants: string[];
  /** The variant a rollout ramps (its share is what the slider moves). */
  primary: string;
  readOnly: boolean;
  onChange: (serve: Serve) => void;
}

/** A first rollout keeps serving what was served: that variant gets every bucket, the ramp starts there. */
function startRollout(serve: Serve, variants: string[], primary: string): Rollout {
  const served = 'variant' in serve ? serve.variant : primary;
  const ordered = [primary, ...variants.filter((v) => v !== primary)];
  return {
    weights: ordered.map((variant) => ({ variant, weight: variant === served ? DEFAULT_BUCKETS : 0 })),
  };
}

function largestShare(rollout: Rollout): string {
  return rollout.weights.reduce((best, w) => (w.weight > best.weight ? w : best)).variant;
}

export function ServeEditor({
  id,
  legend,
  serve,
  before,
  variants,
  primary,
  readOnly,
  onChange,
}: ServeEditorProps) {
  const isRollout = 'rollout' in serve;
  return (
    <fieldset class="serve">
      <legend>{legend}</legend>
      <div class="choice" role="radiogroup" aria-label={`${legend}: kind`}>
        <label>
          <input
            type="radio"
            name={`${id}-kind`}
            checked={!isRollout}
            disabled={readOnly}
            onChange={() => 'rollout' in serve && onChange({ variant: largestShare(serve.rollout) })}
          />
          One variant
        </label>
        <label>
          <input
            type="radio"
            name={`${id}-kind`}
            checked={isRollout}
            disabled={readOnly}
            onChange={() =>
              'variant' in serve && onChange({ rollout: startRollout(serve, variants, primary) })
            }
          />
          Percentage rollout
        </label>
      </div>
      {'variant' in serve ? (
        <div class="field">
          <label for={`${id}-variant`}>Variant</label>
          <select
            id={`${id}-variant`}
            value={serve.variant}
            disabled={readOnly}
            onChange={(e) => onChange({ variant: e.currentTarget.value })}
          >
            {variants.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </div>
      ) : (
        <RolloutEditor
          id={id}
          rollout={serve.rollout}
          before={before}
          variants={variants}
          primary={primary}
          readOnly={readOnly}
          onChange={(rollout) => onChange({ rollout })}
        />
      )}
    </fieldset>
  );
}

interface RolloutEditorProps {
  id: string;
  rollout: Rollout;
  before: Serve | null;
  variants: string[];
  primary: string;
  readOnly: boolean;
  onChange: (rollout: Rollout) => void;
}

const PRESETS = [0, 1, 5, 10, 25, 50, 100];

function RolloutEditor({ id, rollout, before, variants, primary, readOnly, onChange }: RolloutEditorProps) {
  const buckets = bucketsOf(rollout);
  const step = 10 ** -percentDecimals(buckets);
  const weights = rollout.weights;
  const setWeight = (variant: string, weight: number) =>
    onChange({ ...rollout, weights: setShare(weights, variant, weight, buckets) });
  const sliderVariant = weights.length === 2 && weights.some((w) => w.variant === primary) ? primary : null;
  const missing = variants.filter((v) => !weights.some((w) => w.variant === v));
  const total = totalWeight(weights);

  return (
    <div class="rollout">
      {sliderVariant === null ? null : (
        <RolloutSlider
          id={id}
          variant={sliderVariant}
          weight={weights.find((w) => w.variant === sliderVariant)!.weight}
          buckets={buckets}
          step={step}
          readOnly={readOnly}
          onChange={(weight) => setWeight(sliderVariant, weight)}
        />
      )}
      <div class="weights">
        {weights.map((w) => (
          <PercentInput
            key={w.variant}
            id={`${id}-weight-${w.variant}`}
            label={`${w.variant} %`}
            weight={w.weight}
            buckets={buckets}
            step={step}
            readOnly={readOnly}
            onChange={(weight) => setWeight(w.variant, weight)}
          />
        ))}
      </div>
      {total === buckets ? null : (
        <p class="error" role="alert">
          The shares add up to {formatPercent(total, buckets)}; they must add up to 100%.
        </p>
      )}
      {readOnly || missing.length === 0 ? null : (
        <p>
          {missing.map((variant) => (
            <button
              key={variant}
              type="button"
              class="small"
              onClick={() => onChange({ ...rollout, weights: [...weights, { variant, weight: 0 }] })}
            >
              Add {variant} to the split
            </button>
          ))}
        </p>
      )}
      <MovedUsers before={before} after={rollout} />
      <label class="inline">
        Bucket by attribute
        <input
          value={rollout.bucketBy ?? ''}
          placeholder="userId"
          disabled={readOnly}
          onInput={(e) => {
            const bucketBy = e.currentTarget.value.trim();
            const { bucketBy: _dropped, ...rest } = rollout;
            onChange(bucketBy === '' ? rest : { ...rest, bucketBy });
          }}
        />
      </label>
    </div>
  );
}

interface RolloutSliderProps {
  id: string;
  variant: string;
  weight: number;
  buckets: number;
  step: number;
  readOnly: boolean;
  onChange: (weight: number) => void;
}

function RolloutSlider({ id, variant, weight, buckets, step, readOnly, onChange }: RolloutSliderProps) {
  const percent = weightToPercent(weight, buckets);
  return (
    <div class="slider">
      <label for={`${id}-slider`}>Users served {variant}</label>
      <input
        id={`${id}-slider`}
        type="range"
        min={0}
        max={100}
        step={step}
        value={percent}
        aria-valuetext={formatPercent(weight, buckets)}
        disabled={readOnly}
        onInput={(e) => onChange(percentToWeight(Number(e.currentTarget.value), buckets))}
      />
      <output for={`${id}-slider`}>{formatPercent(weight, buckets)}</output>
      {readOnly ? null : (
        <div class="presets" role="group" aria-label={`Set ${variant} to`}>
          {PRESETS.map((p) => (
            <button
              key={p}
              type="button"
              class="small"
              aria-pressed={weight === percentToWeight(p, buckets)}
              onClick={() => onChange(percentToWeight(p, buckets))}
            >
              {p}%
            </button>
          ))}
        </div>
      )}
    </div>
  );
}

interface PercentInputProps {
  id: string;
  label: string;
  weight: number;
  buckets: number;
  step: number;
  readOnly: boolean;
  onChange: (weight: number) => void;
}

/** Exact entry, in steps of one bucket (0.001% with the default 100,000 buckets). */
function PercentInput({ id, label, weight, buckets, step, readOnly, onChange }: PercentInputProps) {
  const format = (w: number) => formatPercent(w, buckets).slice(0, -1);
  const [text, setText] = useTypedText(format(weight), (typed) =>
    format(percentToWeight(Number(typed), buckets)),
  );
  return (
    <label class="percent" for={id}>
      {label}
      <input
        id={id}
        type="number"
        inputMode="decimal"
        min={0}
        max={100}
        step={step}
        value={text}
        disabled={readOnly}
        onInput={(e) => {
          const typed = e.currentTarget.value;
          setText(typed);
          if (typed.trim() !== '' && Number.isFinite(Number(typed)))
            onChange(percentToWeight(Number(typed), buckets));
        }}
      />
    </label>
  );
}

/** "Moves 20% of users: 20% from off to on." — the share of users whose variant the change would change. */
function MovedUsers({ before, after }: { before: Serve | null; after: Rollout }) {
  // Nothing to say until the rollout differs from what is saved.
  if (before === null || deepEqual(before, { rollout: after })) return null;
  const buckets = bucketsOf(after);
  const beforeRollout = 'rollout' in before ? before.rollout : null;
  if (
    beforeRollout !== null &&
    (bucketsOf(beforeRollout) !== buckets ||
      (beforeRollout.bucketBy ?? 'userId') !== (after.bucketBy ?? 'userId') ||
      beforeRollout.salt !== after.salt ||
      beforeRollout.seed !== after.seed)
  ) {
    return (
      <p class="moved warning" aria-live="polite">
        Changing how users are bucketed reassigns every user to a new bucket.
      </p>
    );
  }
  const transitions = movedUsers(allocationOf(before, buckets), after.weights);
  const moved = transitions.reduce((sum, t) => sum + t.weight, 0);
  return (
    <p class="moved" aria-live="polite">
      {moved === 0
        ? 'This change moves no users to another variant.'
        : `This change moves ${formatPercent(moved, buckets)} of users: ${transitions
            .map((t) => `${formatPercent(t.weight, buckets)} from ${t.from} to ${t.to}`)
            .join(', ')}.`}
    </p>
  );
}
