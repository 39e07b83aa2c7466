// The Run page: GET /api/v3/runs/{id} and its journal (GET /api/v1/runs/{id}/events); cancel and replay.
import { useEffect, useState } from 'preact/hooks';
import { html, Link, navigate } from './html.js';
import { api } from './api.js';
import { duration, json, statusClass, time } from './format.js';
import { RunLogs } from './logs.js';

// Every attempt is journaled once, with its outcome: the events that carry `attempt`.
function attemptsOf(events) {
  return events
    .filter((event) => event.data && event.data.attempt)
    .map((event) => ({ ...event.data.attempt, outcome: event.type, error: event.data.error, at: event.data.at }));
}

function JsonBlock({ id, title, value }) {
  return html`
    <div class="card">
      <h2>${title}</h2>
      ${value === undefined
        ? html`<span class="muted">none</span>`
        : html`<pre class="json" id=${id}>${json(value)}</pre>`}
    </div>`;
}

export function RunPage({ id }) {
  const [run, setRun] = useState(null);
  const [events, setEvents] = useState([]);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const path = encodeURIComponent(id);

  const load = async () => {
    setBusy(true);
    try {
      const [found, journal] = await Promise.all([api(`/api/v3/runs/${path}`), api(`/api/v1/runs/${path}/events`)]);
      setRun(found);
      setEvents(journal.data);
      setError('');
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  useEffect(() => {
    load();
  }, [id]);

  const cancel = async () => {
    setBusy(true);
    try {
      await api(`/api/v2/runs/${path}/cancel`, { method: 'POST' });
      setNotice('Cancel requested.');
      await load();
    } catch (e) {
      setError(e.message);
      setBusy(false);
    }
  };
  const replay = async () => {
    setBusy(true);
    try {
      const replayed = await api(`/api/v1/runs/${path}/replay`, { method: 'POST', body: {} });
      navigate('/runs/' + encodeURIComponent(replayed.id));
    } catch (e) {
      setError(e.message);
      setBusy(false);
    }
  };

  const header = html`
    <div class="row">
      <${Link} href="/runs">← Runs<//>
      <h1 class="mono" style="margin-left:8px">${id}</h1>
      <span class="spacer"></span>
      <button id="refresh" onClick=${load} disabled=${busy}>Refresh</button>
      ${run && !run.isCompleted
        ? html`<button class="danger" id="cancel" onClick=${cancel} disabled=${busy}>Cancel run</button>` : null}
      ${run ? html`<button id="replay" onClick=${replay} disabled=${busy}>Replay</button>` : null}
    </div>`;
  if (!run) {
    const waiting = error
      ? html`<div class="error" role="alert">${error}</div>`
      : html`<p class="muted">Loading…</p>`;
    return html`${header}${waiting}`;
  }
  const attempts = attemptsOf(events);
  return html`
    ${header}
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${notice && html`<div class="notice">${notice}</div>`}
    <div class="card">
      <dl class="facts" id="run-facts">
        <dt>Status</dt><dd><span class=${'status ' + statusClass(run.status)} id="run-status">${run.status}</span></dd>
        <dt>Task</dt><dd id="run-task">${run.taskIdentifier}</dd>
        <dt>Created</dt><dd>${time(run.createdAt)}</dd>
        ${run.delayedUntil && html`<dt>Delayed until</dt><dd>${time(run.delayedUntil)}</dd>`}
        ${run.startedAt && html`<dt>Started</dt><dd>${time(run.startedAt)}</dd>`}
        ${run.finishedAt && html`<dt>Finished</dt><dd>${time(run.finishedAt)}</dd>`}
        <dt>Updated</dt><dd>${time(run.updatedAt)}</dd>
        <dt>Duration</dt><dd>${duration(run.durationMs)}</dd>
        <dt>Attempts</dt><dd>${run.attemptCount}</dd>
        ${run.ttl && html`<dt>TTL</dt><dd>${run.ttl}</dd>`}
        <dt>Tags</dt><dd>${(run.tags || []).length
          ? run.tags.map((tag) => html`<span class="tag">${tag}</span>`) : html`<span class="muted">none</span>`}</dd>
        <dt>Idempotency key</dt><dd class="mono">${run.idempotencyKey || html`<span class="muted">none</span>`}</dd>
        ${run.concurrencyKey && html`<dt>Concurrency key</dt><dd class="mono">${run.concurrencyKey}</dd>`}
        ${run.isTest && html`<dt>Test</dt><dd>yes</dd>`}
        ${run.relatedRuns && run.relatedRuns.parent && html`<dt>Parent</dt><dd class="mono">
          <${Link} href=${'/runs/' + encodeURIComponent(run.relatedRuns.parent.id)}>
            ${run.relatedRuns.parent.id}<//></dd>`}
      </dl>
    </div>
    ${run.error && html`
      <div class="card"><h2>Error</h2>
        <div class="error" id="run-error"><strong>${run.error.name || 'Error'}</strong>: ${run.error.message}</div>
        ${run.error.stackTrace && html`<pre class="json">${run.error.stackTrace}</pre>`}
      </div>`}
    <div class="grid2">
      <${JsonBlock} id="run-payload" title="Payload" value=${run.payload} />
      <${JsonBlock} id="run-output" title="Output" value=${run.output} />
    </div>
    <${JsonBlock} id="run-metadata" title="Metadata" value=${run.metadata} />
    <${RunLogs} runId=${id} attempts=${run.attemptCount} onEnd=${load} />
    ${attempts.length > 0 && html`
      <div class="card"><h2>Attempts</h2>
        <div class="table-wrap"><table id="attempts">
          <thead><tr><th>#</th><th>Outcome</th><th>Started</th><th class="wide">Worker</th><th>Error</th></tr></thead>
          <tbody>${attempts.map((attempt) => html`
            <tr><td>${attempt.number}</td><td>${attempt.outcome}</td>
              <td>${time(attempt.startedAt || attempt.leasedAt)}</td>
              <td class="wide mono">${attempt.workerId}</td>
              <td>${attempt.error ? attempt.error.message : ''}</td></tr>`)}</tbody>
        </table></div>
      </div>`}
    <div class="card"><h2>Event history</h2>
      <div class="table-wrap"><table id="events">
        <thead><tr><th>#</th><th>Event</th><th>At</th><th class="wide">Data</th></tr></thead>
        <tbody>${events.map((event) => html`
          <tr data-event-type=${event.type}>
            <td>${event.sequenceNr}</td><td>${event.type}</td><td>${time(event.timestamp)}</td>
            <td class="wide"><details><summary class="muted">data</summary>
              <pre class="json">${json(event.data)}</pre></details></td>
          </tr>`)}</tbody>
      </table></div>
    </div>`;
}
