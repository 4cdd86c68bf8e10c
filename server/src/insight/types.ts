/** What the insight views show about flags and the SDKs that evaluate them. */

/** An SDK instance as it last reported itself with its events (POST /sdk/v1/events). */
export interface SdkInstance {
  environment: string;
  instanceId: string;
  /** The SDK key it uses. */
  tokenId: string;
  sdk: string;
  sdkVersion: string;
  /** The ruleset version (environment change sequence) it said it serves. */
  rulesetVersion: number | null;
  firstSeenAt: string;
  lastSeenAt: string;
}

/** Evaluations of one flag in one environment, per SDK metrics window and variant. */
export interface EvaluationCount {
  windowStart: string;
  /** '' when the evaluation served no variant (an error). */
  variant: string;
  count: number;
}

/** Per flag and environment: the newest metrics window with evaluations. */
export interface LastEvaluation {
  flag: string;
  environment: string;
  windowStart: string;
}

/** Evaluations per flag, environment and variant since some time. */
export interface ServedVariant {
  flag: string;
  environment: string;
  variant: string;
  count: number;
}

export interface FlagTimes {
  key: string;
  createdAt: string;
  updatedAt: string;
}
