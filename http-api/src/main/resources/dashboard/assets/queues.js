// The Queues page: GET /api/v1/queues (every page of it), read again every few seconds, with each queue's queued and
// running runs, its concurrency limit, its rate limit (Baton's) and whether it is paused; Pause/Resume and the limit override call the same
// queue API the SDK's queues.* does, naming a queue by its type and name.
import { useEffect, useState } from 'preact/hooks';
import { html, Link } from './html.js';
import { api } from './api.js';
import { time } from './format.js';

const REFRESH_MS = 3000;
const PER_PAGE = 100;

async function allQueues() {
  const queues = [];
  for (let page = 1; ; page++) {
    const answer = await api(`/api/v1/queues?page=${page}&perPage=${PER_PAGE}`);
    queues.push(...answer.data);
    if (page >= answer.pagination.totalPages) return queues;
  }
}

// The path segment the API reads: the SDK's encoding (a name's slashes sent as %2F, encoded once more).
function queuePath(queue) {
  return '/api/v1/queues/' + encodeURIComponent(queue.name.replace(/\//g, '%2F'));
}

function LimitCell({ queue }) {
  const { current, base, override } = queue.concurrency || {};
  if (override !== null && override !== undefined) {
    const declared = base !== null && base !== undefined ? `, declared ${base}` : ', none declared';
    return html`<span class="limit">${override}</span><span class="muted"> override${declared}</span>`;
  }
  return current === null || current === undefined
    ? html`<span class="muted">none</span>`
    : html`<span class="limit">${current}</span>`;
}

// Baton's rateLimit ({current, base, override}, each {limit, period} or null): read-only here, set through the API.
function RateCell({ queue }) {
  const { current, base, override } = queue.rateLimit || {};
  const rate = (r) => `${r.limit} / ${r.period}`;
  if (override) {
    const declared = base ? `, declared ${rate(base)}` : ', none declared';
    return html`<span class="limit">${rate(override)}</span><span class="muted"> override${declared}</span>`;
  }
  return current ? html`<span class="limit">${rate(current)}</span>` : html`<span class="muted">none</span>`;
}

function QueueRow({ queue, onChanged, onError }) {
  const [limit, setLimit] = useState('');
  const [busy, setBusy] = useState(false);
  const override = queue.concurrency ? queue.concurrency.override : null;
  const overridden = override !== null && override !== undefined;
  const call = async (suffix, body) => {
    setBusy(true);
    try {
      onChanged(await api(queuePath(queue) + suffix, { method: 'POST', body: { type: queue.type, ...body } }));
      onError('');
      return true;
    } catch (e) {
      onError(`${queue.name}: ${e.message}`);
      return false;
    } finally {
      setBusy(false);
    }
  };
  const submitOverride = async (event) => {
    event.preventDefault();
    if (await call('/concurrency/override', { concurrencyLimit: Number(limit) })) setLimit('');
  };
  const runsLink = '/runs?queue=' + encodeURIComponent(queue.type === 'task' ? `task/${queue.name}` : queue.name);
  return html`
    <tr data-queue=${queue.name} data-queue-type=${queue.type}>
      <td class="mono queue-name"><${Link} href=${runsLink}>${queue.name}<//></td>
      <td class="wide">${queue.type}</td>
      <td class="num" data-field="queued" data-label="Queued">${queue.queued}</td>
      <td class="num" data-field="running" data-label="Running">${queue.running}</td>
      <td data-field="limit" data-label="Limit"><${LimitCell} queue=${queue} /></td>
      <td data-field="rate-limit" data-label="Rate limit"><${RateCell} queue=${queue} /></td>
      <td data-field="paused" data-label="State">${queue.paused
        ? html`<span class="status wait">Paused</span>`
        : html`<span class="status ok">Active</span>`}</td>
      <td class="queue-actions">
        ${queue.paused
          ? html`<button class="resume" disabled=${busy}
              onClick=${() => call('/pause', { action: 'resume' })}>Resume</button>`
          : html`<button class="pause danger" disabled=${busy}
              onClick=${() => call('/pause', { action: 'pause' })}>Pause</button>`}
        <form class="override" onSubmit=${submitOverride}>
          <input type="number" min="0" step="1" required name="concurrencyLimit"
            aria-label=${'Concurrency limit for ' + queue.name} placeholder="limit" value=${limit}
            onInput=${(e) => setLimit(e.target.value)} />
          <button type="submit" disabled=${busy || limit === ''}>Override</button>
        </form>
        ${overridden
          ? html`<button class="reset" disabled=${busy} onClick=${() => call('/concurrency/reset', {})}>Reset</button>`
          : null}
      </td>
    </tr>`;
}

export function QueuesPage() {
  const [queues, setQueues] = useState(null);
  const [error, setError] = useState('');
  const [actionError, setActionError] = useState('');
  const [updatedAt, setUpdatedAt] = useState(null);

  const load = async () => {
    try {
      setQueues(await allQueues());
      setUpdatedAt(new Date().toISOString());
      setError('');
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => clearInterval(timer);
  }, []);

  // A change answers the queue as stored: show it at once rather than at the next refresh.
  const changed = (queue) => setQueues((all) => all.map((q) => (q.id === queue.id ? queue : q)));

  return html`
    <div class="row">
      <h1>Queues</h1>
      <span class="spacer"></span>
      ${updatedAt && html`<span class="muted" id="queues-updated">Updated ${time(updatedAt)}</span>`}
      <button id="refresh" onClick=${load}>Refresh</button>
    </div>
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${actionError && html`<div class="error" role="alert" id="queue-action-error">${actionError}</div>`}
    ${queues && html`
      <div class="table-wrap">
        <table id="queues">
          <thead><tr>
            <th>Queue</th><th class="wide">Type</th><th class="num">Queued</th><th class="num">Running</th>
            <th>Limit</th><th>Rate limit</th><th>State</th><th>Actions</th>
          </tr></thead>
          <tbody>
            ${queues.length === 0 && html`<tr><td colspan="8" class="muted">No queues yet: a queue appears once a
              worker declares a task or a run is triggered.</td></tr>`}
            ${queues.map((queue) => html`
              <${QueueRow} key=${queue.id} queue=${queue} onChanged=${changed} onError=${setActionError} />`)}
          </tbody>
        </table>
      </div>
      <p class="muted">The limit is how many runs of the queue execute at once, the rate limit how many start per
        period (both per concurrency key, for runs that name one). Pausing stops new runs from starting; running ones
        finish.</p>`}`;
}
