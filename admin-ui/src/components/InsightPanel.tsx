import { useState } from 'preact/hooks';
import { useApp, useChanges } from '../app-context';
import { EvaluationChart } from './EvaluationChart';
import { ErrorMessage, RelativeTime, useLoad } from './ui';

const RANGES = [
  { label: 'Last 24 hours', hours: 24 },
  { label: 'Last 7 days', hours: 168 },
  { label: 'Last 30 days', hours: 720 },
];

/** Evaluations per variant over time, the last evaluation, and the SDK instances of the environment. */
export function InsightPanel({ flagKey, environment }: { flagKey: string; environment: string }) {
  const { api } = useApp();
  const [hours, setHours] = useState(24);
  const insight = useLoad(
    () => api.insight(flagKey, environment, hours),
    `${flagKey}\n${environment}\n${hours}`,
  );
  useChanges((change) => {
    if (change.target.kind === 'flag' && change.target.key === flagKey) void insight.reload();
  });
  const data = insight.data;
  return (
    <section class="card insight" aria-labelledby={`insight-${environment}`}>
      <div class="page-head">
        <h2 id={`insight-${environment}`}>Evaluations in {environment}</h2>
        <div class="actions">
          <label class="inline">
            <span class="visually-hidden">Period</span>
            <select value={hours} onChange={(e) => setHours(Number(e.currentTarget.value))}>
              {RANGES.map((range) => (
                <option key={range.hours} value={range.hours}>
                  {range.label}
                </option>
              ))}
            </select>
          </label>
          <button type="button" onClick={() => void insight.reload()}>
            Refresh
          </button>
        </div>
      </div>
      <ErrorMessage error={insight.error} />
      {data === null ? (
        <p class="loading">Loading…</p>
      ) : (
        <>
          <p>
            Last evaluated:{' '}
            {data.lastEvaluatedAt === null ? (
              <strong>never</strong>
            ) : (
              <RelativeTime iso={data.lastEvaluatedAt} />
            )}
            <span class="hint"> (SDKs send their counts about once a minute)</span>
          </p>
          <EvaluationChart
            buckets={data.evaluations.buckets}
            bucketSeconds={data.evaluations.bucketSeconds}
          />
          <h3>SDK instances</h3>
          {data.sdks.instances.length === 0 ? (
            <p class="empty">No SDK instance reported in the last day.</p>
          ) : (
            <table class="instances">
              <thead>
                <tr>
                  <th scope="col">Instance</th>
                  <th scope="col">SDK</th>
                  <th scope="col">Ruleset version</th>
                  <th scope="col">Last report</th>
                </tr>
              </thead>
              <tbody>
                {data.sdks.instances.map((instance) => (
                  <tr key={instance.instanceId} class={instance.connected ? undefined : 'gone'}>
                    <td>
                      <code title={instance.instanceId}>{instance.instanceId.slice(0, 8)}</code>
                      {instance.streaming ? (
                        <span class="muted"> (streaming)</span>
                      ) : instance.connected ? null : (
                        <span class="muted"> (silent)</span>
                      )}
                    </td>
                    <td>
                      {instance.sdk} {instance.sdkVersion}
                    </td>
                    <td>
                      {instance.rulesetVersion ?? '—'}{' '}
                      {instance.current ? (
                        <span class="pill pill-on">current</span>
                      ) : (
                        <span class="pill pill-killed">behind {data.sdks.currentVersion}</span>
                      )}
                    </td>
                    <td>
                      <RelativeTime iso={instance.lastSeenAt} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
          <p class="hint">
            Streams open on the server that answered:{' '}
            {data.sdks.streams.length === 0
              ? 'none'
              : data.sdks.streams.map((s) => `${s.streams} at version ${s.version}`).join(', ')}
            ; the environment is at version {data.sdks.currentVersion}.
          </p>
        </>
      )}
    </section>
  );
}
