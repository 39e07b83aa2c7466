// The Schedules page: GET /api/v1/schedules in numbered pages (kept in the URL: /schedules?page=2&perPage=25),
// activate / deactivate / delete, each schedule's next cron times and a link to its runs.
import { useEffect, useState } from 'preact/hooks';
import { html, Link } from './html.js';
import { api } from './api.js';
import { time } from './format.js';

function pageUrl(page, perPage) {
  const query = new URLSearchParams();
  if (page > 1) query.set('page', String(page));
  if (perPage) query.set('perPage', perPage);
  return '/schedules' + (query.toString() ? '?' + query : '');
}

function Schedule({ schedule, busy, onAction }) {
  const path = `/api/v1/schedules/${encodeURIComponent(schedule.id)}`;
  const upcoming = schedule.upcoming || (schedule.nextRun ? [schedule.nextRun] : []);
  return html`
    <tr data-schedule-id=${schedule.id}>
      <td class="mono">${schedule.id}
        ${schedule.externalId && html`<div class="muted">external: ${schedule.externalId}</div>`}
        ${schedule.deduplicationKey && html`<div class="muted wide">key: ${schedule.deduplicationKey}</div>`}
      </td>
      <td>${schedule.task}</td>
      <td><span class="mono">${schedule.generator.expression}</span>
        <div class="muted">${schedule.generator.description} (${schedule.timezone})</div>
        ${schedule.window && html`<div class="muted">window ${schedule.window}</div>`}
      </td>
      <td><span class="schedule-state ${schedule.active ? 'status ok' : 'status'}">
        ${schedule.active ? 'active' : 'inactive'}</span></td>
      <td class="wide next-runs">${upcoming.length === 0
        ? html`<span class="muted">none while inactive</span>`
        : upcoming.map((at) => html`<div>${time(at)}</div>`)}</td>
      <td>
        <div class="row">
          ${schedule.active
            ? html`<button class="deactivate" disabled=${busy}
                onClick=${() => onAction(`${path}/deactivate`, 'POST', 'Deactivated')}>Deactivate</button>`
            : html`<button class="activate" disabled=${busy}
                onClick=${() => onAction(`${path}/activate`, 'POST', 'Activated')}>Activate</button>`}
          <button class="danger delete" disabled=${busy} onClick=${() => {
            if (confirm(`Delete schedule ${schedule.id}? Its key then creates a new schedule.`)) {
              onAction(path, 'DELETE', 'Deleted');
            }
          }}>Delete</button>
          <${Link} class="runs-link" href=${'/runs?schedule=' + encodeURIComponent(schedule.id)}>Runs<//>
        </div>
      </td>
    </tr>`;
}

export function SchedulesPage({ search }) {
  const params = new URLSearchParams(search);
  const page = Math.max(1, parseInt(params.get('page') || '1', 10) || 1);
  const perPage = params.get('perPage') || '';
  const [list, setList] = useState(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);

  const load = async () => {
    setBusy(true);
    try {
      const query = new URLSearchParams({ page: String(page) });
      if (perPage) query.set('perPage', perPage);
      setList(await api('/api/v1/schedules?' + query));
      setError('');
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    load();
  }, [search]);

  // A change answers with the schedule (a delete with its id): the row shows that at once, since the list is the
  // read model and catches up only within a moment.
  const onAction = async (path, method, done) => {
    setBusy(true);
    try {
      const answer = await api(path, { method });
      setNotice(`${done} ${answer.id}.`);
      setList((current) => ({
        ...current,
        data: method === 'DELETE'
          ? current.data.filter((schedule) => schedule.id !== answer.id)
          : current.data.map((schedule) => (schedule.id === answer.id ? answer : schedule)),
      }));
      setError('');
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };

  const pagination = list && list.pagination;
  return html`
    <div class="row">
      <h1>Schedules</h1>
      <span class="spacer"></span>
      <button id="refresh" onClick=${load} disabled=${busy}>${busy ? 'Loading…' : 'Refresh'}</button>
    </div>
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${notice && html`<div class="notice" id="notice">${notice}</div>`}
    ${list && html`
      <div class="table-wrap">
        <table id="schedules">
          <thead><tr>
            <th>Schedule</th><th>Task</th><th>Cron</th><th>State</th><th class="wide">Next runs</th><th></th>
          </tr></thead>
          <tbody>
            ${list.data.length === 0 && html`<tr><td colspan="6" class="muted">No schedules.</td></tr>`}
            ${list.data.map((schedule) => html`<${Schedule} key=${schedule.id} schedule=${schedule} busy=${busy}
              onAction=${onAction} />`)}
          </tbody>
        </table>
      </div>
      <div class="pager">
        <span class="muted">
          ${`${pagination.count} schedules, page ${pagination.currentPage} of ${Math.max(1, pagination.totalPages)}`}
        </span>
        ${page > 1 ? html`<${Link} href=${pageUrl(page - 1, perPage)} id="newer">← Previous<//>` : null}
        ${page < pagination.totalPages ? html`<${Link} href=${pageUrl(page + 1, perPage)} id="older">Next →<//>` : null}
      </div>`}`;
}
