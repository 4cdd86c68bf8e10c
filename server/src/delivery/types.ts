/** Ramp plans and guards: the wire shapes live in core (shared with the CLI and admin UI). */
import type { PlanStatus } from '@switchboard/core';

export type {
  ArmReading,
  GuardDefinition,
  GuardKind,
  GuardReading,
  GuardStatus,
  PlanDefinition,
  PlanEvent,
  PlanEventKind,
  PlanStatus,
  PlanStep,
  RampPlan,
} from '@switchboard/core';

/** Plans the scheduler still acts on. */
export const ACTIVE_PLAN_STATUSES: readonly PlanStatus[] = ['scheduled', 'running', 'paused'];

export const isActive = (status: PlanStatus) => ACTIVE_PLAN_STATUSES.includes(status);
