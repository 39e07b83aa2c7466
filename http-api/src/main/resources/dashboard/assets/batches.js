// The Batches page (GET /api/v1/batches, the batch index: status filter, created within, keyset pages, all in the
// URL) with a box to open any batch by id, and the Batch page (GET /api/v2/batches/{id}): its status, counts, item
// errors and runs.
import { useState } from 'preact/hooks';
import { html, Link, navigate } from './html.js';
import { api, useLoaded } from './api.js';
import { time } from './format.js';

const STATUSES = ['', 'PENDING', 'PROCESSING', 'COMPLETED', 'PARTIAL_FAILED'];
const PERIODS = ['', '1h', '6h', '1d', '7d', '30d'];
const PAGE_CURSORS = ['after', 'before'];

function batchStatusClass(status) {
  switch (status) {
    case 'COMPLETED': return 'ok';
    case 'PARTIAL_FAILED': return 'bad';
    case 'PROCESSING': return 'run';
    case 'PENDING': return 'wait';
    default: return '';
  }
}

function OpenBatch() {
  const [id, setId] = useState('');
  const open = (event) => {
    event.preventDefault();
    if (id.trim()) navigate('/batches/' + encodeURIComponent(id.trim()));
  };
  return html`
    <form class="row card" id="open-batch" onSubmit=${open}>
      <label class="muted" for="batch-id">Open a batch by id</label>
      <input id="batch-id" name="batchId" class="mono grow" placeholder="batch_…" value=${id}
        onInput=${(e) => setId(e.target.value)} />
      <button type="submit" disabled=${!id.trim()}>Open</button>
    </form>`;
}

export function BatchesPage({ search }) {
  const params = new URLSearchParams(search);
  const { data: page, loading, error, reload: load } = useLoaded(async () => {
    const query = new URLSearchParams();
    if (params.get('status')) query.set('filter[status]', params.get('status'));
    if (params.get('period')) query.set('filter[createdAt][period]', params.get('period'));
    if (params.get('size')) query.set('page[size]', params.get('size'));
    for (const cursor of PAGE_CURSORS) if (params.get(cursor)) query.set(`page[${cursor}]`, params.get(cursor));
    return api('/api/v1/batches' + (query.toString() ? '?' + query : ''));
  }, [search]);

  const filter = (name) => (event) => {
    const next = new URLSearchParams(search);
    PAGE_CURSORS.forEach((cursor) => next.delete(cursor));
    if (event.target.value) next.set(name, event.target.value);
    else next.delete(name);
    navigate('/batches' + (next.toString() ? '?' + next : ''));
  };
  const pageLink = (cursor, value) => {
    const next = new URLSearchParams(search);
    PAGE_CURSORS.forEach((name) => next.delete(name));
    next.set(cursor, value);
    return '/batches?' + next;
  };

  return html`
    <div class="row">
      <h1>Batches</h1>
      <span class="spacer"></span>
      <button id="refresh" onClick=${load} disabled=${loading}>${loading ? 'Loading…' : 'Refresh'}</button>
    </div>
    <${OpenBatch} />
    <div class="row" style="margin-bottom:10px">
      <label class="muted inline-label">Status
        <select name="status" value=${params.get('status') || ''} onChange=${filter('status')}>
          ${STATUSES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
        </select>
      </label>
      <label class="muted inline-label">Created within
        <select name="period" value=${params.get('period') || ''} onChange=${filter('period')}>
          ${PERIODS.map((p) => html`<option value=${p}>${p || 'any time'}</option>`)}
        </select>
      </label>
    </div>
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${page && html`
      <div class="table-wrap">
        <table id="batches">
          <thead><tr>
            <th>Batch</th><th>Status</th><th>Items</th><th>Created</th><th class="wide">Completed</th>
          </tr></thead>
          <tbody>
            ${page.data.length === 0 && html`<tr><td colspan="5" class="muted">No batches match.</td></tr>`}
            ${page.data.map((batch) => html`
              <tr data-batch-id=${batch.id}>
                <td class="mono"><${Link} href=${'/batches/' + encodeURIComponent(batch.id)}>${batch.id}<//></td>
                <td><span class=${'status ' + batchStatusClass(batch.status)}>${batch.status}</span></td>
                <td>${batch.runsCreated} runs${batch.itemErrors ? `, ${batch.itemErrors} failed` : ''}
                  <span class="muted"> of ${batch.runCount}</span></td>
                <td>${time(batch.createdAt)}</td>
                <td class="wide">${time(batch.completedAt)}</td>
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

export function BatchPage({ id }) {
  const { data: batch, loading: busy, error, reload: load } = useLoaded(
    () => api(`/api/v2/batches/${encodeURIComponent(id)}`), [id]);

  const header = html`
    <div class="row">
      <${Link} href="/batches">← Batches<//>
      <h1 class="mono" style="margin-left:8px">${id}</h1>
      <span class="spacer"></span>
      <button id="refresh" onClick=${load} disabled=${busy}>Refresh</button>
    </div>`;
  if (!batch) {
    return html`${header}${error
      ? html`<div class="error" role="alert">${error}</div>` : html`<p class="muted">Loading…</p>`}`;
  }
  const errors = (batch.processing && batch.processing.errors) || [];
  return html`
    ${header}
    ${error && html`<div class="error" role="alert">${error}</div>`}
    <div class="card">
      <dl class="facts" id="batch-facts">
        <dt>Status</dt><dd><span class=${'status ' + batchStatusClass(batch.status)} id="batch-status">
          ${batch.status}</span></dd>
        <dt>Items</dt>
        <dd id="batch-counts">${`${batch.runs.length} runs, ${errors.length} failed, of ${batch.runCount}`}</dd>
        <dt>Created</dt><dd>${time(batch.createdAt)}</dd>
        <dt>Updated</dt><dd>${time(batch.updatedAt)}</dd>
        ${batch.processing && batch.processing.completedAt
          && html`<dt>Completed</dt><dd>${time(batch.processing.completedAt)}</dd>`}
        <dt>Idempotency key</dt><dd class="mono">${batch.idempotencyKey || html`<span class="muted">none</span>`}</dd>
        <dt>Runs list</dt><dd><${Link} id="batch-runs-link" href=${'/runs?batch=' + encodeURIComponent(batch.id)}>
          the runs list filtered to this batch<//></dd>
      </dl>
    </div>
    ${errors.length > 0 && html`
      <div class="card"><h2>Items without a run</h2>
        <div class="table-wrap"><table id="batch-errors">
          <thead><tr><th>#</th><th>Task</th><th>Error</th></tr></thead>
          <tbody>${errors.map((item) => html`
            <tr><td>${item.index}</td><td>${item.taskIdentifier}</td><td>${item.error}</td></tr>`)}</tbody>
        </table></div>
      </div>`}
    <div class="card"><h2>Runs, in item order</h2>
      <div class="table-wrap"><table id="batch-runs">
        <thead><tr><th>#</th><th>Run</th></tr></thead>
        <tbody>
          ${batch.runs.length === 0 && html`<tr><td colspan="2" class="muted">No run yet.</td></tr>`}
          ${batch.runs.map((runId, index) => html`
            <tr data-run-id=${runId}><td>${index + 1}</td>
              <td class="mono"><${Link} href=${'/runs/' + encodeURIComponent(runId)}>${runId}<//></td></tr>`)}
        </tbody>
      </table></div>
    </div>`;
}
