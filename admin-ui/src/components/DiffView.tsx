import { compactJson, documentChanges, formatPath } from '../diff';

function Value({ present, value }: { present: boolean; value: unknown }) {
  return present && value !== undefined ? <pre>{compactJson(value)}</pre> : <span class="muted">—</span>;
}

/** A readable before/after table: one row per changed setting. */
export function DiffView({ before, after }: { before: unknown; after: unknown }) {
  const differences = documentChanges(before, after);
  if (differences.length === 0) return <p class="muted">No changes to the document.</p>;
  return (
    <table class="diff">
      <thead>
        <tr>
          <th scope="col">Setting</th>
          <th scope="col">Before</th>
          <th scope="col">After</th>
        </tr>
      </thead>
      <tbody>
        {differences.map((d) => {
          const path = formatPath(d.path);
          return (
            <tr key={path}>
              <th scope="row">
                <code>{path === '' ? '(document)' : path}</code>
              </th>
              <td class="before" data-label="Before">
                <Value present={'before' in d} value={d.before} />
              </td>
              <td class="after" data-label="After">
                <Value present={'after' in d} value={d.after} />
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
