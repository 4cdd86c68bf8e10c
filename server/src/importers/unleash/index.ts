/** Importing Unleash features into Switchboard: the pure translation (the admin route builds on it). */
export { candidateKeys, translateUnleash, translateUnleashState } from './translate';
export type { FeatureReport, SegmentReport, TranslateOptions, UnleashTranslation } from './translate';
export { PayloadError, readUnleashPayload } from './payload';
export type { UnleashSource, UnleashState } from './payload';
export type { Note, NoteCode } from './conditions';
export { CURRENT_TIME } from './constraints';
export { HOSTNAME } from './strategies';
export { meaningOf, OFF, ON } from './variants';
