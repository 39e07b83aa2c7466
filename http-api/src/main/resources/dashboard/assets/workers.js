// The Workers page: the worker sessions connected to the environment (GET /api/v1/workers, Baton's own), as the
// environment's dispatcher knows them from their reports.
import { html } from './html.js';
import { api, useLoaded } from './api.js';
import { time } from './format.js';

export function WorkersPage() {
  const { data: workers, loading, error, reload: load } = useLoaded(
    async () => (await api('/api/v1/workers')).data, []);

  return html`
    <div class="row">
      <h1>Workers</h1>
      <span class="spacer"></span>
      <button id="refresh" onClick=${load} disabled=${loading}>${loading ? 'Loading…' : 'Refresh'}</button>
    </div>
    <p class="muted">Worker sessions connected to this environment, on any node. Slots in use count the executions
      a worker runs or has been offered.</p>
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${workers && html`
      <div class="table-wrap">
        <table id="workers">
          <thead><tr>
            <th>Worker</th><th>SDK</th><th>Tasks</th><th>Slots in use</th><th class="wide">Running runs</th>
            <th class="wide">Connected</th><th>Last report</th>
          </tr></thead>
          <tbody>
            ${workers.length === 0 && html`<tr><td colspan="7" class="muted">No worker is connected.</td></tr>`}
            ${workers.map((worker) => html`
              <tr data-session-id=${worker.sessionId}>
                <td class="mono">${worker.workerId}<div class="muted">${worker.sessionId}</div></td>
                <td class="mono">${worker.sdk || ''}${worker.version
                  && html`<div class="muted" title="the version of its tasks">${worker.version}</div>`}</td>
                <td>${worker.tasks.map((task) => html`<span class="tag">${task}</span>`)}</td>
                <td class="slots">${worker.slotsInUse} / ${worker.slots}</td>
                <td class="wide">${worker.runningRuns}</td>
                <td class="wide">${time(worker.connectedAt)}</td>
                <td>${time(worker.lastReportAt)}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>`}`;
}
