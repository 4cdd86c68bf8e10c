/**
 * The soak run as an SVG chart (hand-written, no dependency): time on x, three stacked panels —
 * propagation p50/p99 per window with a delivery marker per window, server RSS with its second-half
 * trend, and the server's event-loop delay p99 per second.
 */
import type { SoakReport } from './suite';

const WIDTH = 980;
const LEFT = 78;
const RIGHT = 24;
const PANEL_HEIGHT = 170;
const PANEL_GAP = 74;
const TOP = 96;
const PLOT_WIDTH = WIDTH - LEFT - RIGHT;

const COLORS = {
  p99: '#c0392b',
  p50: '#e59866',
  rss: '#1f618d',
  trend: '#7d3c98',
  lag: '#117a65',
  ok: '#1e8449',
};

interface Series {
  points: Array<[number, number]>;
  color: string;
  label: string;
  dashed?: boolean;
  dots?: boolean;
}

interface Panel {
  title: string;
  unit: string;
  series: Series[];
}

function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Round tick values covering [0, max] with about `count` steps (1, 2, 5 × 10^n). */
function ticks(max: number, count: number): number[] {
  const safeMax = max > 0 && Number.isFinite(max) ? max : 1;
  const raw = safeMax / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = ([1, 2, 5, 10].find((factor) => factor * magnitude >= raw) ?? 10) * magnitude;
  const result: number[] = [];
  for (let value = 0; value <= safeMax + step * 0.999; value += step)
    result.push(Number(value.toPrecision(12)));
  return result;
}

function label(value: number): string {
  if (value === 0) return '0';
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 1) return value.toFixed(Number.isInteger(value) ? 0 : 1);
  return value.toPrecision(2);
}

function panelSvg(panel: Panel, index: number, xTicks: number[], xMax: number, extra: string): string {
  const top = TOP + index * (PANEL_HEIGHT + PANEL_GAP);
  const clip = `plot-${index}`;
  const values = panel.series.flatMap((series) => series.points.map(([, y]) => y)).filter(Number.isFinite);
  // Headroom above the highest value: panel 1 draws its delivery markers there.
  const yTicks = ticks(Math.max(0, ...values) * 1.15, 4);
  const yMax = yTicks.at(-1) as number;
  const x = (t: number) => LEFT + (t / xMax) * PLOT_WIDTH;
  const y = (v: number) => top + PANEL_HEIGHT - (v / yMax) * PANEL_HEIGHT;
  const parts: string[] = [];
  parts.push(
    `<text x="${LEFT}" y="${top - 12}" class="title">${escape(panel.title)}</text>`,
    `<text x="${LEFT - 56}" y="${top + PANEL_HEIGHT / 2}" class="unit" transform="rotate(-90 ${LEFT - 56} ${top + PANEL_HEIGHT / 2})">${escape(panel.unit)}</text>`,
  );
  for (const tick of yTicks) {
    parts.push(
      `<line x1="${LEFT}" x2="${LEFT + PLOT_WIDTH}" y1="${y(tick)}" y2="${y(tick)}" class="grid"/>`,
      `<text x="${LEFT - 8}" y="${y(tick) + 4}" class="ytick">${label(tick)}</text>`,
    );
  }
  for (const tick of xTicks) {
    parts.push(
      `<line x1="${x(tick)}" x2="${x(tick)}" y1="${top}" y2="${top + PANEL_HEIGHT}" class="grid"/>`,
      `<text x="${x(tick)}" y="${top + PANEL_HEIGHT + 16}" class="xtick">${label(tick)}</text>`,
    );
  }
  if (values.length === 0) {
    parts.push(
      `<text x="${LEFT + PLOT_WIDTH / 2}" y="${top + PANEL_HEIGHT / 2}" class="axis">no data</text>`,
    );
  }
  parts.push(
    `<rect x="${LEFT}" y="${top}" width="${PLOT_WIDTH}" height="${PANEL_HEIGHT}" class="frame"/>`,
    `<clipPath id="${clip}"><rect x="${LEFT}" y="${top - 4}" width="${PLOT_WIDTH}" height="${PANEL_HEIGHT + 8}"/></clipPath>`,
  );
  let legendX = LEFT + PLOT_WIDTH;
  for (const series of [...panel.series].reverse()) {
    // A missing value (NaN) lifts the pen: gaps stay gaps. A lone value between gaps gets a dot.
    const path: string[] = [];
    const dots: Array<[number, number]> = [];
    series.points.forEach(([t, value], index) => {
      if (!Number.isFinite(value)) return;
      const penDown = Number.isFinite(series.points[index - 1]?.[1] ?? Number.NaN);
      path.push(`${penDown ? 'L' : 'M'}${x(t).toFixed(1)},${y(value).toFixed(1)}`);
      const alone = !penDown && !Number.isFinite(series.points[index + 1]?.[1] ?? Number.NaN);
      if (series.dots || alone) dots.push([t, value]);
    });
    if (path.length > 0) {
      parts.push(
        `<path d="${path.join(' ')}" clip-path="url(#${clip})" fill="none" stroke="${series.color}" stroke-width="${series.dashed ? 1.5 : 2}"${series.dashed ? ' stroke-dasharray="6 4"' : ''}/>`,
      );
    }
    for (const [t, value] of dots) {
      parts.push(
        `<circle cx="${x(t).toFixed(1)}" cy="${y(value).toFixed(1)}" r="2.5" fill="${series.color}"/>`,
      );
    }
    const width = series.label.length * 6.6 + 26;
    legendX -= width;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 16}" y1="${top - 16}" y2="${top - 16}" stroke="${series.color}" stroke-width="2.5"${series.dashed ? ' stroke-dasharray="5 3"' : ''}/>`,
      `<text x="${legendX + 20}" y="${top - 12}" class="legend">${escape(series.label)}</text>`,
    );
  }
  return parts.join('\n') + extra;
}

export function renderSoakChart(report: SoakReport): string {
  const o = report.options;
  const xMax = o.durationSeconds;
  const xTicks = ticks(xMax, 10).filter((tick) => tick <= xMax);
  const middle = (window: { start: number; end: number }) => (window.start + window.end) / 2;
  const x = (t: number) => LEFT + (t / xMax) * PLOT_WIDTH;

  // Panel 1 carries a marker per window: a green dot when every stream got every change started in it.
  const markerY = TOP + 12;
  const markers = report.windows
    .filter((window) => window.changes > 0)
    .map((window) => {
      const cx = x(middle(window)).toFixed(1);
      if (window.missing === 0 && window.delivered === window.expected) {
        return `<circle cx="${cx}" cy="${markerY}" r="4" fill="${COLORS.ok}"><title>${window.start}–${window.end} s: ${window.delivered} / ${window.expected} delivered</title></circle>`;
      }
      const lost = window.expected - window.delivered;
      return (
        `<path d="M${cx},${markerY - 6} l6,11 h-12 z" fill="${COLORS.p99}"/>` +
        `<text x="${cx}" y="${markerY + 18}" class="lost">${lost} lost</text>`
      );
    })
    .join('\n');
  const okWindows = report.windows.filter(
    (window) => window.changes > 0 && window.delivered === window.expected,
  ).length;
  const withChanges = report.windows.filter((window) => window.changes > 0).length;

  const slope = report.server.rssSlopeMiBPerMinute;
  const half = report.samples.filter((sample) => sample.t >= xMax / 2);
  const trend: Array<[number, number]> = [];
  if (half.length >= 2 && Number.isFinite(slope)) {
    const meanT = half.reduce((sum, sample) => sum + sample.t, 0) / half.length;
    const meanRss = half.reduce((sum, sample) => sum + sample.rssMiB, 0) / half.length;
    const at = (t: number): [number, number] => [t, meanRss + (slope / 60) * (t - meanT)];
    trend.push(at(half[0]?.t ?? 0), at(half.at(-1)?.t ?? xMax));
  }

  const panels: Panel[] = [
    {
      title: `Propagation, admin call → stream receipt, per ${o.windowSeconds} s window (● every change delivered to every stream: ${okWindows}/${withChanges} windows)`,
      unit: 'ms',
      series: [
        {
          label: 'p50',
          color: COLORS.p50,
          points: report.windows.map((window) => [middle(window), window.propagation.p50]),
          dots: true,
        },
        {
          label: 'p99',
          color: COLORS.p99,
          points: report.windows.map((window) => [middle(window), window.propagation.p99]),
          dots: true,
        },
      ],
    },
    {
      title: `Server RSS, sampled every second (second-half trend ${slope >= 0 ? '+' : ''}${slope.toFixed(2)} MiB/min)`,
      unit: 'MiB',
      series: [
        {
          label: 'RSS',
          color: COLORS.rss,
          points: report.samples.map((sample) => [sample.t, sample.rssMiB]),
        },
        { label: 'trend', color: COLORS.trend, points: trend, dashed: true },
      ],
    },
    {
      title: 'Server event-loop delay p99, per second (a gap: /metrics did not answer in time)',
      unit: 'ms',
      series: [
        {
          label: 'event-loop p99',
          color: COLORS.lag,
          points: report.samples.map((sample) => [sample.t, sample.eventLoopP99Ms ?? Number.NaN]),
        },
      ],
    },
  ];
  const height = TOP + panels.length * (PANEL_HEIGHT + PANEL_GAP) + 10;
  const body = panels
    .map((panel, index) => panelSvg(panel, index, xTicks, xMax, index === 0 ? `\n${markers}` : ''))
    .join('\n');
  const d = report.delivery;
  const verdict = [
    d.delivered === d.expected && d.missing + d.duplicates + d.outOfOrder + d.unexpected === 0
      ? 'every change reached every stream once, in order'
      : `LOSS: ${d.missing} missing, ${d.duplicates} duplicate, ${d.outOfOrder} out of order, ${d.unexpected} unexpected`,
    ...(report.clientEvaluate.errors > 0
      ? [`${report.clientEvaluate.errors.toLocaleString('en-US')} evaluate requests failed`]
      : []),
    ...(report.failures.length > 0 ? ['FAILED (see the report)'] : []),
  ].join('; ');
  const heading =
    `Switchboard soak: ${o.streams.toLocaleString('en-US')} streams, ${o.evaluateRate.toLocaleString('en-US')} evaluate req/s, ` +
    `a change every ${o.changeIntervalMs} ms, ${o.durationSeconds} s`;
  const subtitle =
    `${report.changes.made.toLocaleString('en-US')} changes, ${report.delivery.delivered.toLocaleString('en-US')} / ` +
    `${report.delivery.expected.toLocaleString('en-US')} deliveries — ${verdict}`;
  const conditions = `${report.machine.cores} cores, load average ${report.loadAverage.end.map((value) => value.toFixed(1)).join(' ')} at the end`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif">
<style>
  .title { font-size: 13px; font-weight: bold; fill: #222; }
  .unit, .axis { font-size: 12px; fill: #444; text-anchor: middle; }
  .ytick { font-size: 11px; fill: #555; text-anchor: end; }
  .xtick { font-size: 11px; fill: #555; text-anchor: middle; }
  .legend { font-size: 11px; fill: #333; }
  .lost { font-size: 10px; fill: ${COLORS.p99}; text-anchor: middle; }
  .grid { stroke: #e5e5e5; stroke-width: 1; }
  .frame { fill: none; stroke: #999; stroke-width: 1; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${LEFT}" y="24" font-size="16" font-weight="bold" fill="#111">${escape(heading)}</text>
<text x="${LEFT}" y="44" font-size="12" fill="${report.ok ? '#333' : COLORS.p99}">${escape(subtitle)}</text>
<text x="${LEFT}" y="62" font-size="12" fill="#555">${escape(conditions)}</text>
${body}
<text x="${LEFT + PLOT_WIDTH / 2}" y="${height - 14}" class="axis">time since the load started (s)</text>
</svg>
`;
}
