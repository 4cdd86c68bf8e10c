/**
 * Geometry of the evaluations chart: one stacked bar per time bucket, one segment per variant.
 * Plain SVG drawn from these numbers (components/EvaluationChart.tsx) rather than a charting
 * library: the chart is a few rectangles and labels, the UI's only dependency is Preact, and this
 * keeps it that way (nothing more to ship, audit or keep up to date).
 */

export interface Bucket {
  start: string;
  counts: Record<string, number>;
}

export interface Segment {
  variant: string;
  count: number;
  y: number;
  height: number;
}

export interface Bar {
  start: string;
  total: number;
  x: number;
  width: number;
  segments: Segment[];
}

export interface ChartLayout {
  bars: Bar[];
  /** The y-axis top: the largest total rounded up to a readable number. */
  max: number;
  /** Variants in stacking order (most evaluations at the bottom). */
  variants: string[];
}

/** The smallest of 1, 2, 5 × 10ⁿ at least `value` (0 for nothing). */
export function niceCeiling(value: number): number {
  if (value <= 0) return 0;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 5, 10].find((factor) => factor * magnitude >= value)!;
  return step * magnitude;
}

/** Lays out `buckets` in a `width` × `height` plot area (y grows downwards, as in SVG). */
export function stackedBars(buckets: readonly Bucket[], width: number, height: number): ChartLayout {
  const totals = new Map<string, number>();
  for (const bucket of buckets) {
    for (const [variant, count] of Object.entries(bucket.counts)) {
      totals.set(variant, (totals.get(variant) ?? 0) + count);
    }
  }
  const variants = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || (a < b ? -1 : 1));
  const max = niceCeiling(
    Math.max(
      0,
      ...buckets.map((bucket) => Object.values(bucket.counts).reduce((sum, count) => sum + count, 0)),
    ),
  );
  const slot = buckets.length === 0 ? 0 : width / buckets.length;
  const bars = buckets.map((bucket, index) => {
    let top = height;
    const segments: Segment[] = [];
    for (const variant of variants) {
      const count = bucket.counts[variant] ?? 0;
      if (count === 0) continue;
      const segmentHeight = max === 0 ? 0 : (count / max) * height;
      top -= segmentHeight;
      segments.push({ variant, count, y: top, height: segmentHeight });
    }
    return {
      start: bucket.start,
      total: segments.reduce((sum, segment) => sum + segment.count, 0),
      x: index * slot + slot * 0.1,
      width: slot * 0.8,
      segments,
    };
  });
  return { bars, max, variants };
}

/** Colours for variants, by stacking position; '' (evaluations in error) is always grey. */
const PALETTE = ['#1d5fd0', '#e07b00', '#2e8540', '#8e44ad', '#c0392b', '#16a085', '#7f8c8d'];
export const ERROR_COLOUR = '#9aa3ad';

export function colourOf(variant: string, index: number): string {
  return variant === '' ? ERROR_COLOUR : PALETTE[index % PALETTE.length]!;
}
