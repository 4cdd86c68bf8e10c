export * from './types';
export * from './wire';
export * from './admin-api';
export { compileRuleset } from './compile';
export type { CompiledRuleset, RulesetChange } from './compile';
export { tallyOf } from './tally';
export type { OutcomeTally } from './tally';
export { projectFlag, buildRuleset } from './ruleset';
export { validateFlag, validateSegment } from './validate';
export type { Problem, FlagReferences } from './validate';
export { keyProblem, MAX_KEY_LENGTH } from './keys';
export {
  FlagDocumentSchema,
  SegmentDocumentSchema,
  FlagEnvironmentSchema,
  AttributeClauseSchema,
  SegmentClauseSchema,
  ServeSchema,
  LIMITS,
  OPERATORS,
} from './schema';
export { murmur3, bucketOf, DEFAULT_BUCKETS } from './murmur3';
export { parseSemver, compareSemver } from './semver';
export type { SemVer } from './semver';
export { parseIsoDate } from './dates';
export { regexProblem, regexSupport, MAX_PATTERN_LENGTH, MAX_INPUT_LENGTH } from './regex';
export type { RegexOptions } from './regex';
export { parseCidr } from './cidr';
export type { ParsedCidr } from './cidr';
