/**
 * Child-process entry point: measures the cells of argv[2] (a JSON array of CellRequest) one after the
 * other and sends their outcomes. The suite gives each cell its own process for real numbers (fresh JIT);
 * quick runs group a system's cells to save process start-ups.
 */
import { sendToParent } from '../lib/child';
import { recordOutgoingConnections } from '../lib/network-guard';
import type { CellOutcome, CellRequest } from './cell';
import { measureCell } from './cell';

const requests = JSON.parse(process.argv[2] ?? '[]') as CellRequest[];
const connectionLog = recordOutgoingConnections();
const outcomes: CellOutcome[] = [];
for (const request of requests) {
  try {
    outcomes.push({ ok: true, result: await measureCell(request, connectionLog) });
  } catch (error) {
    outcomes.push({
      ok: false,
      system: request.system,
      scenario: request.scenario,
      error: error instanceof Error ? (error.stack ?? error.message) : String(error),
    });
  }
}
await sendToParent(outcomes);
// Some SDKs keep timers or handles alive after close(); the measurement is over.
process.exit(0);
