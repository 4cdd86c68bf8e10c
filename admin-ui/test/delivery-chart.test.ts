import { describe, expect, it } from 'vitest';
import { colourOf, ERROR_COLOUR, niceCeiling, stackedBars } from '../src/chart';

describe('the evaluations chart', () => {
  it('rounds the axis up to 1, 2 or 5 times a power of ten', () => {
    expect([0, 1, 3, 7, 10, 11, 180, 2001].map(niceCeiling)).toEqual([0, 1, 5, 10, 10, 20, 200, 5000]);
  });

  it('stacks each bucket’s variants, the most evaluated at the bottom, scaled to the tallest bucket', () => {
    const layout = stackedBars(
      [
        { start: 't0', counts: { on: 10, off: 30 } },
        { start: 't1', counts: {} },
        { start: 't2', counts: { off: 50, '': 0 } },
      ],
      300,
      100,
    );
    expect(layout.max).toBe(50);
    expect(layout.variants).toEqual(['off', 'on', '']);
    const [first, empty, third] = layout.bars;
    expect(first).toEqual({
      start: 't0',
      total: 40,
      x: 10,
      width: 80,
      segments: [
        { variant: 'off', count: 30, y: 40, height: 60 },
        { variant: 'on', count: 10, y: 20, height: 20 },
      ],
    });
    expect(empty).toMatchObject({ total: 0, segments: [], x: 110 });
    expect(third!.segments).toEqual([{ variant: 'off', count: 50, y: 0, height: 100 }]);
  });

  it('draws nothing tall when there were no evaluations', () => {
    const layout = stackedBars([{ start: 't0', counts: {} }], 100, 50);
    expect(layout).toEqual({
      max: 0,
      variants: [],
      bars: [{ start: 't0', total: 0, x: 10, width: 80, segments: [] }],
    });
  });

  it('keeps evaluations in error grey', () => {
    expect(colourOf('', 0)).toBe(ERROR_COLOUR);
    expect(colourOf('on', 0)).not.toBe(colourOf('off', 1));
  });
});
