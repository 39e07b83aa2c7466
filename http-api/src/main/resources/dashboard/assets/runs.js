// The Runs page: GET /api/v1/runs with every filter the API has, keyset pages, all kept in the page's URL
// (/runs?status=…&task=…&after=…) so a view can be shared.
import { useEffect, useState } from 'preact/hooks';
import { html, Link, navigate } from './html.js';
import { api } from './api.js';
import { duration, fromLocalInput, statusClass, time, toLocalInput } from './format.js';

// The page's query parameter → the API's.
const FILTERS = {
  status: 'filter[status]',
  task: 'filter[taskIdentifier]',
  tag: 'filter[tag]',
  queue: 'filter[queue]',
  version: 'filter[version]',
  batch: 'filter[batch]',
  schedule: 'filter[schedule]',
  period: 'filter[createdAt][period]',
  from: 'filter[createdAt][from]',
  to: 'filter[createdAt][to]',
  isTest: 'filter[isTest]',
  size: 'page[size]',
  after: 'page[after]',
  before: 'page[before]',
};
const STATUSES = ['PENDING_VERSION', 'DELAYED', 'QUEUED', 'DEQUEUED', 'EXECUTING', 'WAITING', 'COMPLETED', 'CANCELED',
  'FAILED', 'CRASHED', 'SYSTEM_FAILURE', 'EXPIRED', 'TIMED_OUT'];
const PERIODS = ['', '30m', '1h', '6h', '1d', '7d', '30d'];
const PAGE_CURSORS = ['after', 'before'];

function apiQuery(params) {
  const query = new URLSearchParams();
  for (const [name, apiName] of Object.entries(FILTERS)) {
    const value = params.get(name);
    if (value) query.set(apiName, value);
  }
  return query.toString();
}

function Filters({ params }) {
  const [form, setForm] = useState(() => Object.fromEntries(
    Object.keys(FILTERS).filter((name) => !PAGE_CURSORS.includes(name)).map((name) => [name, params.get(name) || ''])));
  const field = (name) => (event) => setForm({ ...form, [name]: event.target.value });
  const apply = (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    // A new filter starts again from the newest page: the cursors are left out.
    for (const [name, value] of Object.entries(form)) if (value.trim()) query.set(name, value.trim());
    navigate('/runs' + (query.toString() ? '?' + query : ''));
  };
  const clear = () => navigate('/runs');
  const text = (name, label, placeholder) => html`
    <label>${label}
      <input name=${name} value=${form[name]} placeholder=${placeholder} onInput=${field(name)} />
    </label>`;
  // On a phone the filters start folded unless the URL sets one, so the runs are on the first screen.
  const filtered = Object.values(form).some((value) => value);
  const open = filtered || window.matchMedia('(min-width: 761px)').matches;
  return html`
    <details class="card" open=${open}>
    <summary>Filters${filtered ? ' (active)' : ''}</summary>
    <form class="filters" id="run-filters" onSubmit=${apply}>
      <label>Status
        <input name="status" list="statuses" value=${form.status} placeholder="e.g. COMPLETED,FAILED"
          onInput=${field('status')} />
        <datalist id="statuses">${STATUSES.map((s) => html`<option value=${s} />`)}</datalist>
      </label>
      ${text('task', 'Task', 'task ids, comma-separated')}
      ${text('tag', 'Tag', 'any of these tags')}
      ${text('queue', 'Queue', 'e.g. task/my-task')}
      ${text('version', 'Version', '')}
      ${text('batch', 'Batch', 'batch id')}
      ${text('schedule', 'Schedule', 'schedule id')}
      <label>Created within
        <select name="period" value=${form.period} onChange=${field('period')}>
          ${PERIODS.map((p) => html`<option value=${p}>${p || 'any time'}</option>`)}
        </select>
      </label>
      <label>Created from
        <input type="datetime-local" name="from" value=${toLocalInput(form.from)}
          onInput=${(e) => setForm({ ...form, from: fromLocalInput(e.target.value) })} />
      </label>
      <label>Created to
        <input type="datetime-local" name="to" value=${toLocalInput(form.to)}
          onInput=${(e) => setForm({ ...form, to: fromLocalInput(e.target.value) })} />
      </label>
      <label>Test runs
        <select name="isTest" value=${form.isTest} onChange=${field('isTest')}>
          <option value="">all</option><option value="true">only test</option><option value="false">no test</option>
        </select>
      </label>
      <label>Per page
        <select name="size" value=${form.size} onChange=${field('size')}>
          ${['', '10', '25', '50', '100'].map((n) => html`<option value=${n}>${n || 'default'}</option>`)}
        </select>
      </label>
      <div class="actions">
        <button class="primary" type="submit" id="apply-filters">Apply</button>
        <button type="button" onClick=${clear}>Clear</button>
      </div>
    </form>
    </details>`;
}

export function RunsPage({ search }) {
  const params = new URLSearchParams(search);
  const [page, setPage] = useState(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);

  const load = async () => {
    setLoading(true);
    try {
      const query = apiQuery(params);
      setPage(await api('/api/v1/runs' + (query ? '?' + query : '')));
      setError('');
    } catch (e) {
      setError(e.message);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    load();
  }, [search]);

  const pageLink = (cursor, value) => {
    const next = new URLSearchParams(search);
    PAGE_CURSORS.forEach((name) => next.delete(name));
    next.set(cursor, value);
    return '/runs?' + next;
  };

  return html`
    <div class="row">
      <h1>Runs</h1>
      <span class="spacer"></span>
      <button id="refresh" onClick=${load} disabled=${loading}>${loading ? 'Loading…' : 'Refresh'}</button>
    </div>
    <${Filters} key=${search} params=${params} />
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${page && html`
      <div class="table-wrap">
        <table id="runs">
          <thead><tr>
            <th>Run</th><th>Task</th><th>Status</th><th>Created</th><th class="wide">Duration</th>
            <th class="wide">Tags</th>
          </tr></thead>
          <tbody>
            ${page.data.length === 0 && html`<tr><td colspan="6" class="muted">No runs match.</td></tr>`}
            ${page.data.map((run) => html`
              <tr data-run-id=${run.id}>
                <td class="mono"><${Link} href=${'/runs/' + encodeURIComponent(run.id)}>${run.id}<//></td>
                <td>${run.taskIdentifier}</td>
                <td><span class=${'status ' + statusClass(run.status)}>${run.status}</span></td>
                <td>${time(run.createdAt)}</td>
                <td class="wide">${duration(run.durationMs)}</td>
                <td class="wide">${(run.tags || []).map((tag) => html`<span class="tag">${tag}</span>`)}</td>
              </tr>`)}
          </tbody>
        </table>
      </div>
      <div class="pager">
        ${page.pagination && page.pagination.previous
          ? html`<${Link} href=${pageLink('before', page.pagination.previous)} id="newer">← Newer<//>` : null}
        ${page.pagination && page.pagination.next
          ? html`<${Link} href=${pageLink('after', page.pagination.next)} id="older">Older →<//>` : null}
      </div>`}`;
}
