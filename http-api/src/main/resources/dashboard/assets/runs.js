// The Runs page: GET /api/v1/runs with every filter the API has, keyset pages, all kept in the page's URL
// (/runs?status=…&task=…&after=…) so a view can be shared. It stays current from GET /api/v1/runs/stream: rows
// change in place, new runs appear at the top of the first page (a later page counts them instead), and rows can
// be selected to cancel or replay them together.
import { useEffect, useRef, useState } from 'preact/hooks';
import { CreatedWindowFields, useFilterForm } from './filters.js';
import { html, Link, navigate } from './html.js';
import { api } from './api.js';
import { runDuration, statusClass, time } from './format.js';
import { LIVE_LABELS, openRunStream, runBatcher, useTicking } from './live.js';

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
const PAGE_CURSORS = ['after', 'before'];

const DEFAULT_PAGE_SIZE = 25;
// Reloads asked for by the stream (resync, reconnect) are spaced at least this far apart.
const MIN_RELOAD_INTERVAL_MS = 2000;
// Stream rows remembered so a reload from the (lagging) runs table does not show a run older than it was seen.
const MAX_REMEMBERED = 1000;

function apiQuery(params, leaveOut = []) {
  const query = new URLSearchParams();
  for (const [name, apiName] of Object.entries(FILTERS)) {
    const value = params.get(name);
    if (value && !leaveOut.includes(name)) query.set(apiName, value);
  }
  return query.toString();
}

// The stream is asked for every filter but the status: a run leaving the status must still update its row, so the
// page checks the status itself before adding a run.
function statusMatches(params, run) {
  const wanted = (params.get('status') || '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
  return wanted.length === 0 || wanted.includes(run.status);
}

async function eachLimited(items, limit, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function Filters({ params }) {
  const { form, setForm, field, apply } = useFilterForm(
    params, Object.keys(FILTERS).filter((name) => !PAGE_CURSORS.includes(name)), '/runs');
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
      <${CreatedWindowFields} form=${form} setForm=${setForm} />
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
  const firstPage = !params.get('after') && !params.get('before');
  const pageSize = Number(params.get('size')) || DEFAULT_PAGE_SIZE;
  const [page, setPage] = useState(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);
  const [live, setLive] = useState('connecting');
  const [newRuns, setNewRuns] = useState(() => new Set());
  const [selected, setSelected] = useState(() => new Set());
  const [bulk, setBulk] = useState(null);
  // Canceling many runs cannot be undone: it takes a second click.
  const [confirmCancel, setConfirmCancel] = useState(false);
  const pageRef = useRef(null);
  // The newest creation time the page showed when loaded: a run created after it is new.
  const watermark = useRef(0);
  // When the node started sending this page's changes (its clock): a later page counts runs created since.
  const since = useRef(0);
  const remembered = useRef(new Map());
  const lastReload = useRef(0);

  const show = (next) => {
    pageRef.current = next;
    setPage(next);
  };

  // A row as fresh as the stream has seen it.
  const freshest = (row) => {
    const seen = remembered.current.get(row.id);
    return seen && Date.parse(seen.updatedAt) >= Date.parse(row.updatedAt) ? { ...row, ...seen } : row;
  };

  // Loads may overlap (the first render and the stream's ready): only the latest one's answer is shown.
  const loads = useRef(0);
  const load = async () => {
    const number = ++loads.current;
    setLoading(true);
    lastReload.current = Date.now();
    try {
      const query = apiQuery(params);
      const loaded = await api('/api/v1/runs' + (query ? '?' + query : ''));
      if (number !== loads.current) return;
      const rows = loaded.data.map(freshest);
      watermark.current = rows.reduce((newest, run) => Math.max(newest, Date.parse(run.createdAt)), 0);
      // Runs the stream showed that the runs table does not list yet stay at the top.
      const listed = new Set(rows.map((run) => run.id));
      const early = firstPage
        ? [...remembered.current.values()].filter((run) => !listed.has(run.id) && statusMatches(params, run)
          && Date.parse(run.createdAt) > watermark.current)
        : [];
      show({ ...loaded, data: insertSorted(early, rows) });
      setError('');
    } catch (e) {
      if (number === loads.current) setError(e.message);
    } finally {
      if (number === loads.current) setLoading(false);
    }
  };

  // The rows with these runs among them, newest first, cut to the page's size (or what the page held).
  const insertSorted = (fresh, rows) => {
    if (fresh.length === 0) return rows;
    const all = fresh.concat(rows);
    all.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt));
    return all.slice(0, Math.max(pageSize, rows.length));
  };

  const reloadTimer = useRef(null);
  const reloadSoon = () => {
    if (reloadTimer.current) return;
    const wait = Math.max(0, lastReload.current + MIN_RELOAD_INTERVAL_MS - Date.now());
    reloadTimer.current = setTimeout(() => {
      reloadTimer.current = null;
      load();
    }, wait);
  };

  // A run the page does not show joins the first page when it sorts among its rows (newest first) and matches the
  // status; a later page only counts the runs created since it started following the stream.
  const apply = (runs) => {
    for (const run of runs) {
      remembered.current.delete(run.id);
      remembered.current.set(run.id, run);
    }
    while (remembered.current.size > MAX_REMEMBERED) {
      remembered.current.delete(remembered.current.keys().next().value);
    }
    const current = pageRef.current;
    if (!current) return;
    const shown = new Map(current.data.map((run) => [run.id, run]));
    const oldest = current.data.reduce((at, run) => Math.min(at, Date.parse(run.createdAt)), Infinity);
    const full = current.data.length >= pageSize;
    const fresh = [];
    const created = [];
    for (const run of runs) {
      if (shown.has(run.id)) shown.set(run.id, { ...shown.get(run.id), ...run });
      else if (!statusMatches(params, run)) continue;
      else if (firstPage && (!full || Date.parse(run.createdAt) >= oldest)) fresh.push(run);
      else if (!firstPage && since.current && Date.parse(run.createdAt) >= since.current) created.push(run.id);
    }
    const rows = current.data.map((run) => shown.get(run.id));
    show({ ...current, data: insertSorted(fresh, rows) });
    if (created.length) setNewRuns((before) => new Set([...before, ...created]));
  };

  useEffect(() => {
    load();
    const batch = runBatcher(apply, reloadSoon);
    const streamQuery = apiQuery(params, ['status', 'size', 'after', 'before']);
    let ready = false;
    const close = openRunStream('/api/v1/runs/stream' + (streamQuery ? '?' + streamQuery : ''), {
      // Changes made before the subscription were not sent: read the list again (the first time too: the page
      // may have been read a moment before the stream started), and once more a moment later, when the runs table
      // has caught up with runs that changed just before.
      ready: (info) => {
        if (!since.current && info && info.at) since.current = Date.parse(info.at);
        if (!ready) load();
        reloadSoon();
        ready = true;
      },
      runs: batch,
      resync: reloadSoon,
      state: (name, detail) => setLive(name === 'refused' ? `refused: ${detail}` : name),
    });
    return () => {
      close();
      // A page left (or signed out of) reads nothing more.
      clearTimeout(reloadTimer.current);
      reloadTimer.current = null;
    };
  }, [search]);

  const pageLink = (cursor, value) => {
    const next = new URLSearchParams(search);
    PAGE_CURSORS.forEach((name) => next.delete(name));
    if (cursor) next.set(cursor, value);
    const query = next.toString();
    return '/runs' + (query ? '?' + query : '');
  };

  const toggle = (id) => setSelected((before) => {
    const next = new Set(before);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    return next;
  });
  // What is acted on: the selected runs the page still shows.
  const chosen = page ? page.data.filter((run) => selected.has(run.id)).map((run) => run.id) : [];
  const allSelected = page && page.data.length > 0 && chosen.length === page.data.length;
  const toggleAll = () => setSelected(allSelected ? new Set() : new Set(page.data.map((run) => run.id)));

  // Each run through its own API call, a few at a time; the summary says what each did.
  const runBulk = async (action) => {
    const ids = chosen;
    setBulk({ action, running: true, total: ids.length });
    const results = await eachLimited(ids, 4, async (id) => {
      const path = encodeURIComponent(id);
      try {
        if (action === 'cancel') {
          await api(`/api/v2/runs/${path}/cancel`, { method: 'POST' });
          return { id, ok: true };
        }
        const replayed = await api(`/api/v1/runs/${path}/replay`, { method: 'POST', body: {} });
        return { id, ok: true, newId: replayed.id };
      } catch (e) {
        return { id, ok: false, error: e.message };
      }
    });
    setBulk({ action, running: false, total: ids.length, results });
    setSelected(new Set());
  };

  const liveLabel = LIVE_LABELS[live] || live;
  const now = useTicking(Boolean(page && page.data.some((run) => run.status === 'EXECUTING' && run.attemptStartedAt)));

  return html`
    <div class="row">
      <h1>Runs</h1>
      <span class=${'live ' + (live === 'live' ? 'on' : 'off')} id="live-state" title="Updates as runs change">
        ${liveLabel}</span>
      <span class="spacer"></span>
      <button id="refresh" onClick=${load} disabled=${loading}>${loading ? 'Loading…' : 'Refresh'}</button>
    </div>
    <${Filters} key=${search} params=${params} />
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${newRuns.size > 0 && html`
      <div class="notice" id="new-runs">
        <${Link} href=${pageLink(null)}>${newRuns.size} new run${newRuns.size === 1 ? '' : 's'}<//> since this page
        was loaded.
      </div>`}
    ${chosen.length > 0 && html`
      <div class="bulk row" id="bulk-actions">
        <strong>${chosen.length} selected</strong>
        ${confirmCancel
          ? html`<button class="danger" id="bulk-cancel-confirm" disabled=${bulk && bulk.running}
              onClick=${() => {
                setConfirmCancel(false);
                runBulk('cancel');
              }}>Yes, cancel ${chosen.length} run${chosen.length === 1 ? '' : 's'}</button>
            <button id="bulk-cancel-back" onClick=${() => setConfirmCancel(false)}>Keep them</button>`
          : html`<button class="danger" id="bulk-cancel" disabled=${bulk && bulk.running}
              onClick=${() => setConfirmCancel(true)}>Cancel runs…</button>`}
        <button id="bulk-replay" disabled=${bulk && bulk.running} onClick=${() => runBulk('replay')}>
          Replay runs</button>
        <button id="bulk-clear" onClick=${() => {
          setConfirmCancel(false);
          setSelected(new Set());
        }}>Clear selection</button>
      </div>`}
    ${bulk && html`<${BulkSummary} bulk=${bulk} onClose=${() => setBulk(null)} />`}
    ${page && html`
      <div class="table-wrap">
        <table id="runs" data-live=${live}>
          <thead><tr>
            <th class="pick"><input type="checkbox" id="select-all" aria-label="Select every run on this page"
              checked=${allSelected} onChange=${toggleAll} /></th>
            <th>Run</th><th>Task</th><th>Status</th><th>Created</th><th class="wide">Duration</th>
            <th class="wide">Tags</th>
          </tr></thead>
          <tbody>
            ${page.data.length === 0 && html`<tr><td colspan="7" class="muted">No runs match.</td></tr>`}
            ${page.data.map((run) => html`
              <tr data-run-id=${run.id} data-status=${run.status} key=${run.id}>
                <td class="pick"><input type="checkbox" class="select-run" aria-label=${'Select ' + run.id}
                  checked=${selected.has(run.id)} onChange=${() => toggle(run.id)} /></td>
                <td class="mono"><${Link} href=${'/runs/' + encodeURIComponent(run.id)}>${run.id}<//></td>
                <td>${run.taskIdentifier}</td>
                <td><span class=${'status ' + statusClass(run.status)}>${run.status}</span></td>
                <td>${time(run.createdAt)}</td>
                <td class="wide">${runDuration(run, now)}</td>
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

function BulkSummary({ bulk, onClose }) {
  const verb = bulk.action === 'cancel' ? 'Canceled' : 'Replayed';
  if (bulk.running) {
    return html`<div class="notice" id="bulk-result">${bulk.action === 'cancel' ? 'Canceling' : 'Replaying'}
      ${bulk.total} run${bulk.total === 1 ? '' : 's'}…</div>`;
  }
  const done = bulk.results.filter((result) => result.ok);
  const failed = bulk.results.filter((result) => !result.ok);
  return html`
    <div class=${failed.length ? 'error' : 'notice'} id="bulk-result" role="status">
      <div class="row">
        <span><strong id="bulk-done">${verb} ${done.length} of ${bulk.total}</strong>
          ${failed.length ? `, ${failed.length} failed` : ''}.</span>
        <span class="spacer"></span>
        <button id="bulk-dismiss" onClick=${onClose}>Dismiss</button>
      </div>
      ${bulk.action === 'replay' && done.length > 0 && html`
        <ul class="bulk-list">${done.map((result) => html`
          <li class="mono"><${Link} href=${'/runs/' + encodeURIComponent(result.id)}>${result.id}<//> →${' '}
            <${Link} href=${'/runs/' + encodeURIComponent(result.newId)}>${result.newId}<//></li>`)}</ul>`}
      ${failed.length > 0 && html`
        <ul class="bulk-list" id="bulk-failures">${failed.map((result) => html`
          <li><span class="mono">${result.id}</span>: ${result.error}</li>`)}</ul>`}
    </div>`;
}
