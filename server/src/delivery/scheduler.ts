/**
 * The scheduler: every tick it reads the active plans from the store and, for each, first judges
 * its guards (a trip kills the flag), then applies what is due (the next step, or completion).
 *
 * Restarts: all state is in the store (`next_at`), so a step that fell due while no server ran is
 * applied by the first tick after the start — once, and the next step's hold counts from then.
 * Replicas: every replica runs a scheduler; each move is a transaction that writes only if the plan
 * is still at the version the tick read (plans.ts), so one replica wins and the others change nothing.
 */
import type { FastifyBaseLogger } from 'fastify';
import { HttpError } from '../errors';
import type { Repository } from '../store/repository';
import { readGuards } from './guards';
import { HOUSEKEEPING_INTERVAL_MS, runHousekeeping } from './housekeeping';
import type { RampPlans } from './plans';
import { Ticker } from './ticker';
import type { RampPlan } from './types';

export class RampScheduler {
  private readonly ticker: Ticker;
  private lastHousekeeping = 0;

  constructor(
    private readonly store: Repository,
    private readonly plans: RampPlans,
    tickMs: number,
    private readonly log: FastifyBaseLogger,
  ) {
    this.ticker = new Ticker(tickMs, () => this.tick());
  }

  start(): void {
    this.ticker.start();
  }

  /** Ticks as soon as possible (e.g. a plan was just created), instead of at the next interval. */
  wake(): void {
    this.ticker.wake();
  }

  stop(): Promise<void> {
    return this.ticker.stop();
  }

  /** One pass over the active plans. Failures are logged; the next tick tries again. */
  async tick(): Promise<void> {
    try {
      const plans = await this.store.delivery.read((queries) => queries.listPlans({ active: true }));
      for (const plan of plans) {
        try {
          await this.visit(plan, Date.now());
        } catch (error) {
          this.log.error(
            { err: error, flag: plan.flag, environment: plan.environment },
            'ramp plan step failed',
          );
        }
      }
      if (Date.now() - this.lastHousekeeping >= HOUSEKEEPING_INTERVAL_MS) {
        this.lastHousekeeping = Date.now();
        await runHousekeeping(this.store, this.lastHousekeeping);
      }
    } catch (error) {
      this.log.error({ err: error }, 'the ramp scheduler could not read its plans');
    }
  }

  private async visit(plan: RampPlan, now: number): Promise<void> {
    const watched = plan.currentStep >= 0 && (plan.definition.guards?.length ?? 0) > 0;
    const readings = watched ? await readGuards(this.store, plan) : [];
    const tripped = readings.find((reading) => reading.status === 'tripped');
    const due = plan.nextAt !== null && Date.parse(plan.nextAt) <= now;
    try {
      if (tripped) {
        if (await this.plans.trip(plan, tripped, readings)) {
          this.log.warn(
            { flag: plan.flag, environment: plan.environment, reason: tripped.summary },
            'guard tripped',
          );
        }
      } else if (due) {
        await this.plans.advance(plan, readings);
      }
    } catch (error) {
      // The flag is gone, or the step no longer fits it (a variant or rule was removed): stop here
      // rather than failing again on every tick.
      if (error instanceof HttpError && (error.statusCode === 404 || error.statusCode === 422)) {
        const what = tripped ? 'the kill' : `step ${plan.currentStep + 2}`;
        await this.plans.fail(plan, `${what} could not be applied: ${error.message}`);
        return;
      }
      throw error;
    }
  }
}
