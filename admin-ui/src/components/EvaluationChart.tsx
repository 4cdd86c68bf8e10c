import type { Bucket } from '../chart';
import { colourOf, stackedBars } from '../chart';

const WIDTH = 640;
const HEIGHT = 160;
const LEFT = 44;
const BOTTOM = 20;

const timeLabel = (iso: string, bucketSeconds: number) =>
  new Date(iso).toLocaleString(undefined, {
    ...(bucketSeconds >= 86_400 / 4 ? { month: 'short', day: 'numeric' } : {}),
    hour: '2-digit',
    minute: '2-digit',
  });

/** Evaluations per variant over time: stacked bars in plain SVG, with a legend and a text summary. */
export function EvaluationChart({ buckets, bucketSeconds }: { buckets: Bucket[]; bucketSeconds: number }) {
  const plotWidth = WIDTH - LEFT;
  const plotHeight = HEIGHT - BOTTOM;
  const layout = stackedBars(buckets, plotWidth, plotHeight);
  const colours = new Map(layout.variants.map((variant, index) => [variant, colourOf(variant, index)]));
  const total = layout.bars.reduce((sum, bar) => sum + bar.total, 0);
  const labelled = [0, Math.floor(buckets.length / 2), buckets.length - 1].filter(
    (index, position, all) => index >= 0 && all.indexOf(index) === position,
  );
  const name = (variant: string) => (variant === '' ? 'error' : variant);
  const summary =
    total === 0
      ? 'No evaluations in this period.'
      : `${total.toLocaleString()} evaluations: ` +
        layout.variants
          .map((variant) => {
            const count = layout.bars.reduce(
              (sum, bar) => sum + (bar.segments.find((s) => s.variant === variant)?.count ?? 0),
              0,
            );
            return `${name(variant)} ${count.toLocaleString()}`;
          })
          .join(', ');
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={summary}>
        <line x1={LEFT} y1={plotHeight} x2={WIDTH} y2={plotHeight} class="axis" />
        <text x={LEFT - 6} y={10} text-anchor="end" class="tick">
          {layout.max.toLocaleString()}
        </text>
        <text x={LEFT - 6} y={plotHeight} text-anchor="end" class="tick">
          0
        </text>
        <g transform={`translate(${LEFT} 0)`}>
          {layout.bars.map((bar) =>
            bar.segments.map((segment) => (
              <rect
                key={`${bar.start}-${segment.variant}`}
                x={bar.x}
                y={segment.y}
                width={bar.width}
                height={segment.height}
                fill={colours.get(segment.variant)}
              >
                <title>
                  {`${timeLabel(bar.start, bucketSeconds)}: ${name(segment.variant)} ${segment.count.toLocaleString()}`}
                </title>
              </rect>
            )),
          )}
          {labelled.map((index) => {
            const bar = layout.bars[index]!;
            return (
              <text
                key={bar.start}
                x={bar.x + bar.width / 2}
                y={HEIGHT - 4}
                text-anchor="middle"
                class="tick"
              >
                {timeLabel(bar.start, bucketSeconds)}
              </text>
            );
          })}
        </g>
      </svg>
      <figcaption>
        {layout.variants.map((variant) => (
          <span key={variant} class="legend">
            <span class="swatch" style={{ background: colours.get(variant) }} aria-hidden="true" />
            {name(variant)}
          </span>
        ))}
        <span class="muted">{summary}</span>
      </figcaption>
    </figure>
  );
}
