/** POST /api/v1/import/unleash on a real server: plan, atomic apply, refusals, merging, audit. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SdkTestServer } from './sdk-harness';

const server = new SdkTestServer();
beforeAll(() => server.start());
afterAll(() => server.dispose());

const feature = (name: string, fields: Record<string, unknown> = {}) => ({
  name,
  enabled: true,
  strategies: [
    { name: 'flexibleRollout', parameters: { rollout: '100', stickiness: 'default', groupId: name } },
  ],
  ...fields,
});
const importUnleash = (body: Record<string, unknown>) =>
  server.admin('POST', '/api/v1/import/unleash', { environment: 'production', ...body });

describe('POST /api/v1/import/unleash', () => {
  it('plans with dryRun and changes nothing', async () => {
    const reply = await importUnleash({ payload: { features: [feature('dry-run-only')] }, dryRun: true });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({
      source: 'client-features',
      environment: 'production',
      dryRun: true,
      features: [{ feature: 'dry-run-only', status: 'translated', reasons: [], notes: [] }],
      changeset: {
        dryRun: true,
        changeSet: null,
        changes: [{ kind: 'flag', key: 'dry-run-only', action: 'create' }],
      },
    });
    expect((await server.admin('GET', '/api/v1/flags/dry-run-only')).status).toBe(404);
  });

  it('applies one audited change set, and a second import of the same payload changes nothing', async () => {
    const payload = {
      features: [feature('checkout', { strategies: [{ name: 'default', segments: [1] }] })],
      segments: [
        { id: 1, name: 'beta', constraints: [{ contextName: 'plan', operator: 'IN', values: ['beta'] }] },
      ],
    };
    const first = await importUnleash({ payload, message: 'INC-1 migrate checkout' });
    expect(first.status).toBe(200);
    const changeSet = first.body.changeset.changeSet as string;
    expect(changeSet).toMatch(/^cs_/);
    expect(
      first.body.changeset.changes.map((c: { kind: string; key: string }) => `${c.kind} ${c.key}`),
    ).toEqual(['segment beta', 'flag checkout']);
    const audit = await server.admin('GET', '/api/v1/audit');
    const reasons = (audit.body.entries as Array<{ reason: string }>).map((entry) => entry.reason);
    expect(
      reasons.filter((reason) => reason === `INC-1 migrate checkout [change set ${changeSet}]`),
    ).toHaveLength(2);

    const again = await importUnleash({ payload, message: 'again' });
    expect(again.body.changeset).toMatchObject({ changeSet: null, changes: [], unchanged: 2 });
  });

  it('refuses the whole import when a feature cannot be carried over, unless told to skip it', async () => {
    const payload = {
      features: [feature('fine-one'), feature('custom-one', { strategies: [{ name: 'myStrategy' }] })],
    };
    const refused = await importUnleash({ payload });
    expect(refused.status).toBe(422);
    expect(refused.body.details).toEqual([
      {
        path: '/body/payload/features/custom-one',
        problem:
          'strategy 1: strategy "myStrategy" is not built into the Unleash SDK (a custom strategy runs your code)',
      },
    ]);
    expect(refused.body.features.map((f: { status: string }) => f.status)).toEqual([
      'translated',
      'untranslatable',
    ]);
    expect((await server.admin('GET', '/api/v1/flags/fine-one')).status).toBe(404);

    const skipped = await importUnleash({ payload, skipUntranslatable: true });
    expect(skipped.status).toBe(200);
    expect((await server.admin('GET', '/api/v1/flags/fine-one')).status).toBe(200);
    expect((await server.admin('GET', '/api/v1/flags/custom-one')).status).toBe(404);
  });

  it('keeps what it does not import: other flags, other environments, kill states', async () => {
    await server.putFlag({
      key: 'native',
      variants: { on: true, off: false },
      environments: { production: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' } } },
    });
    await server.putFlag({
      key: 'shared',
      variants: { on: true, off: false },
      environments: {
        staging: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' } },
        production: { enabled: true, offVariant: 'off', fallthrough: { variant: 'on' } },
      },
    });
    await server.kill('shared', 'incident');
    const reply = await importUnleash({ payload: { features: [feature('shared', { enabled: false })] } });
    expect(reply.status).toBe(200);
    expect((await server.admin('GET', '/api/v1/flags/native')).status).toBe(200);
    const shared = (await server.admin('GET', '/api/v1/flags/shared')).body;
    expect(shared.environments.staging).toEqual({
      enabled: true,
      offVariant: 'off',
      fallthrough: { variant: 'on' },
      killed: null,
    });
    expect(shared.environments.production).toMatchObject({ enabled: false, killed: { reason: 'incident' } });
  });

  it('reads exports with their Unleash environment and larger than the default body limit', async () => {
    const padding = 'x'.repeat(1_000);
    const features = Array.from({ length: 1_500 }, (_, i) => ({ name: `bulk-${i}`, description: padding }));
    const reply = await importUnleash({
      payload: {
        features,
        featureStrategies: [],
        featureEnvironments: features.map((f) => ({
          featureName: f.name,
          environment: 'prod',
          enabled: true,
        })),
        tagTypes: [],
      },
      dryRun: true,
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ source: 'export', sourceEnvironment: 'prod' });
    expect(reply.body.changeset.changes).toHaveLength(1_500);
  });

  it.each([
    ['a payload that is not Unleash', { payload: { toggles: [] } }, 400, '/body/payload'],
    [
      'an export naming no environment among several',
      {
        payload: {
          features: [],
          featureStrategies: [],
          featureEnvironments: [
            { featureName: 'a', environment: 'x' },
            { featureName: 'a', environment: 'y' },
          ],
        },
      },
      400,
      '/body/payload/featureEnvironments',
    ],
    [
      'an unknown hash encoding',
      { payload: { features: [] }, hashEncoding: 'utf16' },
      400,
      '/body/hashEncoding',
    ],
    [
      'an unknown environment',
      { payload: { features: [feature('x')] }, environment: 'nowhere' },
      404,
      '/environment',
    ],
  ])('rejects %s', async (_label, body, status, path) => {
    const reply = await importUnleash(body);
    expect(reply.status).toBe(status);
    expect(reply.body.details.map((d: { path: string }) => d.path)).toContain(path);
  });

  it('needs a token that may write', async () => {
    const created = await server.admin('POST', '/api/v1/tokens', { name: 'viewer', kind: 'viewer' });
    const response = await server.app!.inject({
      method: 'POST',
      url: '/api/v1/import/unleash',
      headers: { authorization: `Bearer ${created.body.token}` },
      payload: { environment: 'production', payload: { features: [] } },
    });
    expect(response.statusCode).toBe(403);
  });
});
