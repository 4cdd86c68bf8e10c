import { useApp, useChanges } from '../app-context';
import { formatCountdown } from '../plan-form';
import { href } from '../router';
import { ErrorMessage, PageHeading, RelativeTime, useLoad } from './ui';

/** Every active rollout plan, across flags and environments. */
export function Rollouts() {
  const { api } = useApp();
  const list = useLoad(() => api.plans({ active: true }), 'active plans');
  useChanges((change) => {
    if (change.action.startsWith('plan.')) void list.reload();
  });
  return (
    <section>
      <PageHeading>Rollouts</PageHeading>
      <p class="hint">
        Plans ramp flags up step by step (or turn them on or off at a time) by themselves; open a flag to
        steer its plan and see its guards.
      </p>
      <ErrorMessage error={list.error} />
      {list.data === null ? null : list.data.plans.length === 0 ? (
        <p class="empty">No plan is running.</p>
      ) : (
        <table class="rollouts">
          <thead>
            <tr>
              <th scope="col">Flag</th>
              <th scope="col">Environment</th>
              <th scope="col">State</th>
              <th scope="col">Step</th>
              <th scope="col">Next</th>
              <th scope="col">Started by</th>
            </tr>
          </thead>
          <tbody>
            {list.data.plans.map((plan) => (
              <tr key={`${plan.flag}\n${plan.environment}`}>
                <th scope="row">
                  <a href={href({ page: 'flag', key: plan.flag, environment: plan.environment })}>
                    {plan.flag}
                  </a>
                </th>
                <td>{plan.environment}</td>
                <td>
                  <span class={`pill plan-${plan.status}`}>{plan.status}</span>
                </td>
                <td>
                  {plan.currentStep + 1} of {plan.definition.steps.length}
                </td>
                <td>
                  {plan.nextAt === null ? (
                    plan.pausedRemainingMs === null ? (
                      '—'
                    ) : (
                      `${formatCountdown(plan.pausedRemainingMs)} left when resumed`
                    )
                  ) : (
                    <RelativeTime iso={plan.nextAt} />
                  )}
                </td>
                <td>
                  {plan.createdBy}, <RelativeTime iso={plan.createdAt} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
