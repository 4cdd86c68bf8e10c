import { describe, expect, it } from 'vitest';
import { DeliveryTracker } from './delivery';

describe('soak delivery tracking', () => {
  it('counts an in-order stream as complete', () => {
    const tracker = new DeliveryTracker(10);
    for (let seq = 11; seq <= 20; seq++) expect(tracker.record(seq)).toBe('first');
    expect(tracker.distinct).toBe(10);
    expect([tracker.duplicates, tracker.outOfOrder, tracker.unexpected]).toEqual([0, 0, 0]);
    expect(tracker.missing(11, 20)).toEqual([]);
    expect(tracker.position).toBe(20);
  });

  it('catches duplicates, late arrivals, gaps and events from before the run', () => {
    const tracker = new DeliveryTracker(100);
    tracker.record(101);
    tracker.record(103);
    tracker.record(102); // late: after 103
    expect(tracker.record(103)).toBe('duplicate');
    expect(tracker.record(100)).toBe('unexpected');
    tracker.record(106);
    expect(tracker.distinct).toBe(4);
    expect(tracker.duplicates).toBe(1);
    expect(tracker.outOfOrder).toBe(1);
    expect(tracker.unexpected).toBe(1);
    expect(tracker.missing(101, 107)).toEqual([104, 105, 107]);
  });

  it('keeps track far beyond its initial capacity', () => {
    const tracker = new DeliveryTracker(0);
    for (let seq = 1; seq <= 10_000; seq++) if (seq !== 7_777) tracker.record(seq);
    expect(tracker.missing(1, 10_000)).toEqual([7_777]);
  });

  it('a snapshot moves the position without counting what it skipped as delivered', () => {
    const tracker = new DeliveryTracker(0);
    tracker.record(1);
    tracker.snapshotAt(5);
    expect(tracker.position).toBe(5);
    tracker.record(6);
    expect(tracker.outOfOrder).toBe(0);
    expect(tracker.missing(1, 6)).toEqual([2, 3, 4, 5]);
  });
});
