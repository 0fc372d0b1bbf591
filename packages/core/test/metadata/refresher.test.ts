// The refresh rules shared by every metadata cache: rate limit, schedule, single flight, bounded
// wait. Pure functions of the times given; no timers.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nextScheduledRefresh,
  Refresher,
  resolveRefreshPolicy,
} from '../../src/metadata/refresher.js';

describe('Refresher rate limit', () => {
  it('starts downloads at least rateLimit apart, and starts one whenever that much time has passed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 120_000 }),
        fc.array(fc.integer({ min: 0, max: 30_000 }), { maxLength: 200 }),
        (rateLimit, gaps) => {
          const r = new Refresher<void>({ rateLimit });
          let t = 0;
          let lastStart = Number.NEGATIVE_INFINITY;
          for (const gap of gaps) {
            t += gap;
            const started = r.tryStartDownload(t);
            // Started exactly when the previous start is rateLimit or more behind.
            expect(started).toBe(t - lastStart >= rateLimit);
            if (started) lastStart = t;
            expect(r.nextAllowedAt).toBe(lastStart + rateLimit);
          }
        },
      ),
    );
  });

  it('startDownloadWithin waits for the window only when it reopens within the wait, and never starts downloads closer than rateLimit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.array(fc.integer({ min: 0, max: 12_000 }), { maxLength: 60 }),
        async (rateLimit, waitMs, gaps) => {
          // A clock the waits advance: what a login would see in real time.
          let t = 0;
          const waits: number[] = [];
          const r = new Refresher<void>({
            rateLimit,
            now: () => t,
            sleep: async (ms) => {
              waits.push(ms);
              t += ms;
            },
          });
          let lastStart = Number.NEGATIVE_INFINITY;
          for (const gap of gaps) {
            t += gap;
            const asked = t;
            const reopensIn = lastStart + rateLimit - asked;
            waits.length = 0;
            const started = await r.startDownloadWithin(asked, waitMs);
            if (reopensIn <= 0) {
              // Allowed now: started at once, no wait.
              expect(started).toBe(asked);
              expect(waits).toEqual([]);
            } else if (reopensIn <= waitMs) {
              // Reopens within the wait: one wait, exactly until it reopens.
              expect(waits).toEqual([reopensIn]);
              expect(started).toBe(lastStart + rateLimit);
            } else {
              // Too far off: no wait at all.
              expect(started).toBeUndefined();
              expect(waits).toEqual([]);
            }
            if (started !== undefined) {
              expect(started - lastStart).toBeGreaterThanOrEqual(rateLimit);
              lastStart = started;
            }
          }
        },
      ),
    );
  });

  it('the default policy lets a download start every 5 s at most', () => {
    expect(resolveRefreshPolicy().rateLimit).toBe(5000);
    expect(() => resolveRefreshPolicy({ rateLimit: -1 })).toThrow(TypeError);
    expect(() => resolveRefreshPolicy({ minInterval: Number.NaN })).toThrow(TypeError);
  });
});

describe('nextScheduledRefresh', () => {
  it('stays within [minInterval, maxInterval] and at most half way to validUntil', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3_600_000 }),
        fc.integer({ min: 0, max: 7 * 86_400_000 }),
        fc.option(fc.integer({ min: 0, max: 30 * 86_400_000 }), { nil: undefined }),
        fc.option(fc.integer({ min: -86_400_000, max: 30 * 86_400_000 }), { nil: undefined }),
        (minInterval, extra, cacheDuration, validIn) => {
          const policy = resolveRefreshPolicy({ minInterval, maxInterval: minInterval + extra });
          const checkedAt = 1_780_000_000_000;
          const validUntil = validIn === undefined ? undefined : checkedAt + validIn;
          const next = nextScheduledRefresh(policy, checkedAt, {
            ...(cacheDuration !== undefined && { cacheDuration }),
            ...(validUntil !== undefined && { validUntil }),
          });
          expect(next - checkedAt).toBeGreaterThanOrEqual(policy.minInterval);
          expect(next - checkedAt).toBeLessThanOrEqual(policy.maxInterval);
          if (validUntil !== undefined) {
            expect(next).toBeLessThanOrEqual(
              Math.max(checkedAt + (validUntil - checkedAt) / 2, checkedAt + policy.minInterval),
            );
          }
        },
      ),
    );
  });
});

describe('Refresher single flight and bounded wait', () => {
  it('callers that ask while a refresh runs share it; the next one after it runs anew', async () => {
    const r = new Refresher<number>({ rateLimit: 0 });
    let runs = 0;
    let finish!: (v: number) => void;
    const task = () => {
      runs++;
      return new Promise<number>((resolve) => {
        finish = resolve;
      });
    };
    const a = r.run(task);
    const b = r.run(task);
    r.runInBackground(task);
    expect(runs).toBe(1);
    expect(r.running).toBe(true);
    finish(7);
    await expect(Promise.all([a, b])).resolves.toEqual([7, 7]);
    await r.idle();
    expect(r.running).toBe(false);
    const c = r.run(task);
    expect(runs).toBe(2);
    finish(8);
    await expect(c).resolves.toBe(8);
  });

  it('a refresh still unsettled after staleAfter is taken as lost: the next caller starts anew', async () => {
    let t = 0;
    const r = new Refresher<number>({ rateLimit: 0, now: () => t, staleAfter: 1000 });
    const settle: Array<(v: number) => void> = [];
    const task = () =>
      new Promise<number>((resolve) => {
        settle.push(resolve);
      });
    const lost = r.run(task);
    t = 1000;
    expect(r.run(task)).toBe(lost); // within staleAfter: joined
    t = 1001;
    const fresh = r.run(task);
    expect(fresh).not.toBe(lost);
    expect(settle).toHaveLength(2);
    settle[0]!(1); // the lost one settles late…
    await lost;
    expect(r.running).toBe(true); // …and does not clear the one that replaced it
    settle[1]!(2);
    await expect(fresh).resolves.toBe(2);
    await r.idle();
    expect(r.running).toBe(false);
  });

  it('waitAtMost returns what settles first, and ends its timer when the promise wins', async () => {
    const signals: AbortSignal[] = [];
    let timeUp!: () => void;
    const r = new Refresher<number>({
      rateLimit: 0,
      sleep: (_ms, signal) => {
        if (signal) signals.push(signal);
        return new Promise<void>((resolve) => {
          timeUp = resolve;
        });
      },
    });
    await expect(r.waitAtMost(Promise.resolve(1), 2000)).resolves.toEqual({
      settled: true,
      value: 1,
    });
    expect(signals.at(-1)!.aborted).toBe(true);
    const err = new Error('down');
    await expect(r.waitAtMost(Promise.reject(err), 2000)).resolves.toEqual({
      settled: true,
      error: err,
    });
    const never = new Promise<number>(() => {});
    const waiting = r.waitAtMost(never, 2000);
    timeUp();
    await expect(waiting).resolves.toEqual({ settled: false });
    // A rejection after the time ran out is handled, not left unobserved.
    let late!: (e: Error) => void;
    const rejectsLater = new Promise<number>((_resolve, reject) => {
      late = reject;
    });
    const w2 = r.waitAtMost(rejectsLater, 2000);
    timeUp();
    await expect(w2).resolves.toEqual({ settled: false });
    late(new Error('late'));
  });
});
