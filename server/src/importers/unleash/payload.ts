/**
 * Unleash payloads, read into one shape: the features and segments one environment's SDKs would see.
 *
 * Three formats are accepted:
 * - `/api/client/features` (what server SDKs fetch): `{ version, features, segments? }`;
 * - the delta API (`/api/client/delta`): `{ events: [hydration | feature-updated | feature-removed |
 *   segment-updated | segment-removed] }`, applied in order as the SDKs apply them;
 * - a full export (`/api/admin/features-batch/export`): `{ features, featureStrategies, featureEnvironments?,
 *   segments?, dependencies?, featureTags? }`, joined per feature for one Unleash environment.
 *
 * Only the overall shape is checked here (a wrong one is the caller's 400); everything inside a feature is
 * kept as the untrusted JSON it is, and the translator decides per feature what it can carry.
 */

/** A JSON object whose fields have not been checked yet. */
export type Loose = Record<string, unknown>;

/** One Unleash feature as an SDK sees it (fields unchecked, except `name`). */
export interface UnleashFeature extends Loose {
  name: string;
  /** Tags from an export, as "type:value"; SDK payloads carry none. */
  tags?: string[];
}

/** One Unleash segment as an SDK sees it (its constraints unchecked). */
export interface UnleashSegment extends Loose {
  id: number;
}

export type UnleashSource = 'client-features' | 'delta' | 'export';

export interface UnleashState {
  source: UnleashSource;
  /** The Unleash environment an export was read for; null for SDK payloads (they hold one environment). */
  sourceEnvironment: string | null;
  /**
   * Whether segments carry their constraints. SDK payloads do; an export lists only segment ids and names,
   * so a segment without constraints there is unknown rather than empty.
   */
  segmentsComplete: boolean;
  features: UnleashFeature[];
  segments: Map<number, UnleashSegment>;
}

/** The payload is not an Unleash payload this importer reads. */
export class PayloadError extends Error {
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
    this.name = 'PayloadError';
  }
}

const isObject = (value: unknown): value is Loose =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function arrayAt(owner: Loose, field: string, path: string, required: boolean): unknown[] {
  const value = owner[field];
  if (value === undefined && !required) return [];
  if (!Array.isArray(value)) throw new PayloadError(`${field} must be an array`, `${path}/${field}`);
  return value;
}

function feature(value: unknown, path: string): UnleashFeature {
  if (!isObject(value) || typeof value.name !== 'string')
    throw new PayloadError('a feature must be an object with a string name', path);
  return value as UnleashFeature;
}

function segment(value: unknown, path: string): UnleashSegment {
  if (!isObject(value) || typeof value.id !== 'number')
    throw new PayloadError('a segment must be an object with a numeric id', path);
  return value as UnleashSegment;
}

function segmentMap(values: unknown[], path: string): Map<number, UnleashSegment> {
  return new Map(values.map((value, i) => segment(value, `${path}/${i}`)).map((s) => [s.id, s]));
}

/** A feature list with later duplicates replacing earlier ones, as the SDKs' name-keyed maps do. */
function byName(features: UnleashFeature[]): UnleashFeature[] {
  return [...new Map(features.map((f) => [f.name, f])).values()];
}

function readClientFeatures(payload: Loose): UnleashState {
  const features = arrayAt(payload, 'features', '', true).map((f, i) => feature(f, `/features/${i}`));
  return {
    source: 'client-features',
    sourceEnvironment: null,
    segmentsComplete: true,
    features: byName(features),
    segments: segmentMap(arrayAt(payload, 'segments', '', false), '/segments'),
  };
}

function readDelta(payload: Loose): UnleashState {
  let features = new Map<string, UnleashFeature>();
  let segments = new Map<number, UnleashSegment>();
  arrayAt(payload, 'events', '', true).forEach((event, i) => {
    const path = `/events/${i}`;
    if (!isObject(event)) throw new PayloadError('an event must be an object', path);
    switch (event.type) {
      case 'hydration':
        features = new Map(
          arrayAt(event, 'features', path, true).map((f, j) => {
            const read = feature(f, `${path}/features/${j}`);
            return [read.name, read];
          }),
        );
        segments = segmentMap(arrayAt(event, 'segments', path, false), `${path}/segments`);
        break;
      case 'feature-updated': {
        const read = feature(event.feature, `${path}/feature`);
        features.set(read.name, read);
        break;
      }
      case 'feature-removed':
        if (typeof event.featureName !== 'string')
          throw new PayloadError('featureName must be a string', `${path}/featureName`);
        features.delete(event.featureName);
        break;
      case 'segment-updated': {
        const read = segment(event.segment, `${path}/segment`);
        segments.set(read.id, read);
        break;
      }
      case 'segment-removed':
        if (typeof event.segmentId !== 'number')
          throw new PayloadError('segmentId must be a number', `${path}/segmentId`);
        segments.delete(event.segmentId);
        break;
      default:
        // The SDKs skip event types they do not know (with a warning); so does the import.
        break;
    }
  });
  return {
    source: 'delta',
    sourceEnvironment: null,
    segmentsComplete: true,
    features: [...features.values()],
    segments,
  };
}

/** The environments an export's per-environment lists mention. */
function exportEnvironments(payload: Loose): string[] {
  const names = new Set<string>();
  for (const field of ['featureEnvironments', 'featureStrategies']) {
    const list = payload[field];
    if (!Array.isArray(list)) continue;
    for (const entry of list)
      if (isObject(entry) && typeof entry.environment === 'string') names.add(entry.environment);
  }
  return [...names].sort();
}

function pickExportEnvironment(payload: Loose, requested: string | undefined, target: string): string | null {
  const available = exportEnvironments(payload);
  if (requested !== undefined) {
    if (available.length > 0 && !available.includes(requested))
      throw new PayloadError(
        `the export holds no environment "${requested}" (it holds: ${available.join(', ')})`,
        '/featureEnvironments',
      );
    return requested;
  }
  if (available.length <= 1) return available[0] ?? null;
  if (available.includes(target)) return target;
  throw new PayloadError(
    `the export holds several environments (${available.join(', ')}): say which one to import`,
    '/featureEnvironments',
  );
}

/** Entries of an export list for `environment` (entries without an environment belong to every one). */
function forEnvironment(entries: unknown[], environment: string | null, path: string): Loose[] {
  return entries
    .map((entry, i) => {
      if (!isObject(entry)) throw new PayloadError('must be an object', `${path}/${i}`);
      return entry;
    })
    .filter(
      (entry) => environment === null || entry.environment === undefined || entry.environment === environment,
    );
}

function sortOrderOf(strategy: Loose): number {
  return typeof strategy.sortOrder === 'number' ? strategy.sortOrder : Number.MAX_SAFE_INTEGER;
}

function readExport(payload: Loose, requested: string | undefined, target: string): UnleashState {
  const environment = pickExportEnvironment(payload, requested, target);
  const strategies = forEnvironment(
    arrayAt(payload, 'featureStrategies', '', true),
    environment,
    '/featureStrategies',
  );
  const environments = forEnvironment(
    arrayAt(payload, 'featureEnvironments', '', false),
    environment,
    '/featureEnvironments',
  );
  const dependencies = arrayAt(payload, 'dependencies', '', false);
  const tags = arrayAt(payload, 'featureTags', '', false);
  const features = arrayAt(payload, 'features', '', true).map((value, i) => {
    const meta = feature(value, `/features/${i}`);
    const name = meta.name;
    const env = environments.find((entry) => entry.featureName === name);
    // The client API leaves disabled strategies out and orders the rest by sortOrder.
    const own = strategies
      .filter((s) => s.featureName === name && s.disabled !== true)
      .map((s, index) => ({ s, index }))
      .sort((a, b) => sortOrderOf(a.s) - sortOrderOf(b.s) || a.index - b.index)
      .map(({ s }) => {
        const { featureName: _f, environment: _e, sortOrder: _o, disabled: _d, ...strategy } = s;
        return strategy;
      });
    const parents = dependencies.find((d) => isObject(d) && d.feature === name);
    const featureTags = tags
      .filter((t): t is Loose => isObject(t) && t.featureName === name)
      .map((t) => `${String(t.tagType ?? 'simple')}:${String(t.tagValue ?? t.value ?? '')}`);
    const read: UnleashFeature = {
      ...meta,
      // A feature the export has no configuration for in this environment is off there.
      enabled: env?.enabled === true,
      strategies: own,
      variants: env?.variants ?? meta.variants ?? [],
      ...(isObject(parents) && parents.dependencies !== undefined
        ? { dependencies: parents.dependencies }
        : {}),
      ...(featureTags.length > 0 ? { tags: featureTags } : {}),
    };
    return read;
  });
  return {
    source: 'export',
    sourceEnvironment: environment,
    segmentsComplete: false,
    features: byName(features),
    segments: segmentMap(arrayAt(payload, 'segments', '', false), '/segments'),
  };
}

/**
 * Reads any of the three payload formats. `sourceEnvironment` picks an export's Unleash environment; by
 * default its only one, or the one named like `targetEnvironment`. Throws PayloadError.
 */
export function readUnleashPayload(
  payload: unknown,
  options: { sourceEnvironment?: string; targetEnvironment: string },
): UnleashState {
  if (!isObject(payload)) throw new PayloadError('the payload must be a JSON object', '');
  if (Array.isArray(payload.events)) return readDelta(payload);
  if (Array.isArray(payload.featureStrategies))
    return readExport(payload, options.sourceEnvironment, options.targetEnvironment);
  if (Array.isArray(payload.features)) return readClientFeatures(payload);
  throw new PayloadError(
    'not an Unleash payload: expected /api/client/features ({ features }), a delta ({ events }) or an export ({ features, featureStrategies })',
    '',
  );
}
