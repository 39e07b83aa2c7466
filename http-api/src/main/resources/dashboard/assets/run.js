// The Run page: GET /api/v3/runs/{id} and its journal (GET /api/v1/runs/{id}/events), kept current from
// GET /api/v1/runs/{id}/stream. A timeline of what happened (queued, each attempt, each wait and what ended it),
// the related runs both ways, and every action the API has on a run: cancel, replay (as it was or with an edited
// payload), reschedule a delayed run, reset its idempotency key, complete the waitpoint token it waits on.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html, Link, navigate } from './html.js';
import { api } from './api.js';
import { duration, fromLocalInput, json, runDuration, statusClass, time, toLocalInput } from './format.js';
import { LIVE_LABELS, openRunStream, useTicking } from './live.js';
import { timelineOf } from './timeline.js';
import { RunLogs } from './logs.js';

// Every attempt is journaled once with its outcome (a suspended attempt again when it ends): the latest of each.
function attemptsOf(events) {
  const byNumber = new Map();
  for (const event of events) {
    if (!event.data || !event.data.attempt) continue;
    const attempt = event.data.attempt;
    byNumber.set(attempt.number, { ...attempt, outcome: event.type, error: event.data.error, at: event.data.at });
  }
  return [...byNumber.values()];
}

// The token the run waits on now: its last suspension on a token, if no resume came after.
function awaitedToken(run, events) {
  if (run.status !== 'WAITING') return null;
  let token = null;
  for (const event of events) {
    if (event.type === 'RunSuspended') {
      const wait = event.data.waitFor || {};
      token = wait.kind === 'TOKEN' ? wait.tokenId : null;
    } else if (event.type === 'RunResumed') {
      token = null;
    }
  }
  return token;
}

function JsonBlock({ id, title, value }) {
  return html`
    <div class="card">
      <h2>${title}</h2>
      ${value === undefined || value === null
        ? html`<span class="muted">none</span>`
        : html`<pre class="json" id=${id}>${json(value)}</pre>`}
    </div>`;
}

function RunLink({ id }) {
  return html`<${Link} class="mono" href=${'/runs/' + encodeURIComponent(id)}>${id}<//>`;
}

// A JSON text area checked as it is typed: onValid gets the parsed value, or undefined while it is not JSON.
function JsonEditor({ id, initial, onValid, optional = false }) {
  const [text, setText] = useState(initial);
  const [problem, setProblem] = useState('');
  const check = (value) => {
    setText(value);
    if (optional && !value.trim()) {
      setProblem('');
      onValid(null);
      return;
    }
    try {
      onValid(JSON.parse(value));
      setProblem('');
    } catch (e) {
      setProblem(e.message);
      onValid(undefined);
    }
  };
  useEffect(() => check(initial), []);
  return html`
    <textarea class="json-editor mono" id=${id} spellcheck="false" value=${text}
      onInput=${(e) => check(e.target.value)}></textarea>
    ${problem && html`<div class="error" id=${id + '-problem'}>Not valid JSON: ${problem}</div>`}`;
}

export function RunPage({ id }) {
  const [run, setRun] = useState(null);
  const [events, setEvents] = useState([]);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [busy, setBusy] = useState(false);
  const [live, setLive] = useState('connecting');
  const [panel, setPanel] = useState('');
  const [edited, setEdited] = useState(undefined);
  const [tokenData, setTokenData] = useState(null);
  const [delayUntil, setDelayUntil] = useState('');
  const reading = useRef({ running: false, again: false });
  const [attemptStartedAt, setAttemptStartedAt] = useState(null);
  const path = encodeURIComponent(id);

  // One read at a time; a change noticed during a read asks for one more after it.
  const load = async () => {
    if (reading.current.running) {
      reading.current.again = true;
      return;
    }
    reading.current.running = true;
    try {
      const [found, journal] = await Promise.all([api(`/api/v3/runs/${path}`), api(`/api/v1/runs/${path}/events`)]);
      setRun(found);
      setEvents(journal.data);
      setError('');
    } catch (e) {
      setError(e.message);
    } finally {
      reading.current.running = false;
      if (reading.current.again) {
        reading.current.again = false;
        load();
      }
    }
  };
  useEffect(() => {
    load();
    return openRunStream(`/api/v1/runs/${path}/stream`, {
      ready: load,
      runs: (rows) => {
        // The stream knows when the running attempt started; retrieve does not say.
        const row = rows[rows.length - 1];
        setAttemptStartedAt(row && row.attemptStartedAt ? row.attemptStartedAt : null);
        load();
      },
      resync: load,
      state: (name, detail) => setLive(name === 'refused' ? `refused: ${detail}` : name),
    });
  }, [id]);

  const act = async (what, call) => {
    setBusy(true);
    setNotice('');
    try {
      await call();
      setNotice(what);
      setPanel('');
      await load();
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  const cancel = () => act('Cancel requested.', () => api(`/api/v2/runs/${path}/cancel`, { method: 'POST' }));
  const replay = async (body) => {
    setBusy(true);
    try {
      const replayed = await api(`/api/v1/runs/${path}/replay`, { method: 'POST', body });
      navigate('/runs/' + encodeURIComponent(replayed.id));
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  const reschedule = () => act('Rescheduled.', () => api(`/api/v1/runs/${path}/reschedule`,
    { method: 'POST', body: { delay: fromLocalInput(delayUntil) } }));
  const resetKey = () => act(`Idempotency key reset: the next trigger with it starts a new run.`,
    () => api(`/api/v1/idempotencyKeys/${encodeURIComponent(run.idempotencyKey)}/reset`,
      { method: 'POST', body: { taskIdentifier: run.taskIdentifier } }));
  const token = run ? awaitedToken(run, events) : null;
  const completeToken = () => act('Token completed.', () => api(
    `/api/v1/waitpoints/tokens/${encodeURIComponent(token)}/complete`,
    { method: 'POST', body: tokenData === null ? {} : { data: tokenData } }));
  const open = (name) => () => setPanel(panel === name ? '' : name);

  const liveLabel = LIVE_LABELS[live] || live;
  const now = useTicking(Boolean(run && run.status === 'EXECUTING' && attemptStartedAt));
  const header = html`
    <div class="row">
      <${Link} href="/runs">← Runs<//>
      <h1 class="mono" style="margin-left:8px">${id}</h1>
      <span class=${'live ' + (live === 'live' ? 'on' : 'off')} id="live-state">${liveLabel}</span>
      <span class="spacer"></span>
      <button id="refresh" onClick=${load} disabled=${busy}>Refresh</button>
      ${run && !run.isCompleted
        ? html`<button class="danger" id="cancel" onClick=${cancel} disabled=${busy}>Cancel run</button>` : null}
      ${run ? html`<button id="replay" onClick=${() => replay({})} disabled=${busy}>Replay</button>` : null}
      ${run ? html`<button id="replay-edited" onClick=${open('replay')} disabled=${busy}>
        Replay with new payload…</button>` : null}
      ${run && run.status === 'DELAYED'
        ? html`<button id="reschedule" onClick=${() => {
          setDelayUntil(toLocalInput(run.delayedUntil));
          open('reschedule')();
        }} disabled=${busy}>Reschedule…</button>` : null}
      ${run && run.idempotencyKey
        ? html`<button id="reset-key" onClick=${resetKey} disabled=${busy}>Reset idempotency key</button>` : null}
      ${token ? html`<button id="complete-token" onClick=${open('token')} disabled=${busy}>
        Complete token…</button>` : null}
    </div>`;
  if (!run) {
    const waiting = error
      ? html`<div class="error" role="alert">${error}</div>`
      : html`<p class="muted">Loading…</p>`;
    return html`${header}${waiting}`;
  }
  const attempts = attemptsOf(events);
  const related = run.relatedRuns || {};
  const children = related.children || [];
  return html`
    ${header}
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${notice && html`<div class="notice" id="notice">${notice}</div>`}
    ${panel === 'replay' && html`
      <div class="card" id="replay-panel">
        <h2>Replay with this payload</h2>
        <${JsonEditor} id="replay-payload" initial=${json(run.payload === undefined ? null : run.payload)}
          onValid=${setEdited} />
        <div class="row" style="margin-top:8px">
          <span class="muted">A new run of ${run.taskIdentifier} with the same options; the original stays as it is.
          </span>
          <span class="spacer"></span>
          <button class="primary" id="replay-send" disabled=${busy || edited === undefined}
            onClick=${() => replay({ payload: edited })}>Replay</button>
        </div>
      </div>`}
    ${panel === 'reschedule' && html`
      <div class="card row" id="reschedule-panel">
        <label>Start at <input type="datetime-local" id="reschedule-at" value=${delayUntil}
          onInput=${(e) => setDelayUntil(e.target.value)} /></label>
        <span class="muted">(your time zone; a time already past starts it now)</span>
        <span class="spacer"></span>
        <button class="primary" id="reschedule-send" disabled=${busy || !delayUntil} onClick=${reschedule}>
          Reschedule</button>
      </div>`}
    ${panel === 'token' && html`
      <div class="card" id="token-panel">
        <h2>Complete token <span class="mono">${token}</span></h2>
        <p class="muted">The run resumes with this data as the token's output (leave empty for none).</p>
        <${JsonEditor} id="token-data" initial="" optional=${true} onValid=${setTokenData} />
        <div class="row" style="margin-top:8px"><span class="spacer"></span>
          <button class="primary" id="token-send" disabled=${busy || tokenData === undefined}
            onClick=${completeToken}>Complete</button></div>
      </div>`}
    <div class="card">
      <dl class="facts" id="run-facts">
        <dt>Status</dt><dd><span class=${'status ' + statusClass(run.status)} id="run-status">${run.status}</span></dd>
        <dt>Task</dt><dd id="run-task">${run.taskIdentifier}</dd>
        <dt>Created</dt><dd>${time(run.createdAt)}</dd>
        ${run.delayedUntil && html`<dt>Delayed until</dt><dd id="run-delayed-until">${time(run.delayedUntil)}</dd>`}
        ${run.startedAt && html`<dt>Started</dt><dd>${time(run.startedAt)}</dd>`}
        ${run.finishedAt && html`<dt>Finished</dt><dd>${time(run.finishedAt)}</dd>`}
        <dt>Updated</dt><dd>${time(run.updatedAt)}</dd>
        <dt>Duration</dt><dd id="run-duration">${runDuration({ ...run, attemptStartedAt }, now)}</dd>
        <dt>Attempts</dt><dd id="run-attempts">${run.attemptCount}</dd>
        ${run.ttl && html`<dt>TTL</dt><dd>${run.ttl}</dd>`}
        <dt>Tags</dt><dd>${(run.tags || []).length
          ? run.tags.map((tag) => html`<span class="tag">${tag}</span>`) : html`<span class="muted">none</span>`}</dd>
        <dt>Idempotency key</dt><dd class="mono" id="run-idempotency-key">
          ${run.idempotencyKey || html`<span class="muted">none</span>`}</dd>
        ${run.concurrencyKey && html`<dt>Concurrency key</dt><dd class="mono">${run.concurrencyKey}</dd>`}
        ${run.batchId && html`<dt>Batch</dt><dd class="mono">${run.batchId}</dd>`}
        ${run.isTest && html`<dt>Test</dt><dd>yes</dd>`}
        ${related.root && related.root.id !== (related.parent && related.parent.id) && html`<dt>Root run</dt>
          <dd><${RunLink} id=${related.root.id} /></dd>`}
        ${related.parent && html`<dt>Parent run</dt><dd id="run-parent"><${RunLink} id=${related.parent.id} />
          <span class="muted"> (${related.parent.taskIdentifier}, ${related.parent.status})</span></dd>`}
        ${children.length > 0 && html`<dt>Child runs</dt><dd id="run-children">${children.map((child) => html`
          <div><${RunLink} id=${child.id} /> <span class="muted">${child.taskIdentifier}</span>${' '}
            <span class=${'status ' + statusClass(child.status)}>${child.status}</span></div>`)}</dd>`}
      </dl>
    </div>
    ${run.error && html`
      <div class="card"><h2>Error</h2>
        <div class="error" id="run-error"><strong>${run.error.name || 'Error'}</strong>: ${run.error.message}</div>
        ${run.error.stackTrace && html`<pre class="json">${run.error.stackTrace}</pre>`}
      </div>`}
    <${Timeline} run=${run} events=${events} />
    <div class="grid2">
      <${JsonBlock} id="run-payload" title="Payload" value=${run.payload} />
      <${JsonBlock} id="run-output" title="Output" value=${run.output} />
    </div>
    <${JsonBlock} id="run-metadata" title="Metadata" value=${run.metadata} />
    <${RunLogs} runId=${id} attempts=${run.attemptCount} onEnd=${load} />
    ${attempts.length > 0 && html`
      <div class="card"><h2>Attempts</h2>
        <div class="table-wrap"><table id="attempts">
          <thead><tr><th>#</th><th>Outcome</th><th>Started</th><th>Ended</th><th class="wide">Worker</th>
            <th>Error</th></tr></thead>
          <tbody>${attempts.map((attempt) => html`
            <tr data-attempt=${attempt.number}><td>${attempt.number}</td><td>${attempt.outcome}</td>
              <td>${time(attempt.startedAt || attempt.leasedAt)}</td><td>${time(attempt.at)}</td>
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

function ErrorDetails({ error }) {
  if (!error) return null;
  return html`
    <div class="timeline-error"><strong>${error.name || 'Error'}</strong>: ${error.message}
      ${error.stackTrace && html`<details><summary class="muted">stack</summary>
        <pre class="json">${error.stackTrace}</pre></details>`}
    </div>`;
}

function Timeline({ run, events }) {
  const entries = timelineOf(run, events);
  return html`
    <div class="card"><h2>Timeline</h2>
      <ol class="timeline" id="timeline">${entries.map((entry) => html`
        <li class=${'timeline-' + entry.tone} data-kind=${entry.kind}>
          <div class="row">
            <strong>${entry.title}</strong>
            ${entry.status && html`<span class=${'status ' + statusClass(entry.status)}>${entry.status}</span>`}
            <span class="spacer"></span>
            <span class="muted">${time(entry.at)}${entry.until ? html` → ${time(entry.until)}` : ''}
              ${entry.took !== undefined ? html` <span class="took">(${duration(entry.took)})</span>` : ''}</span>
          </div>
          ${entry.lines.map((line) => html`<div class="muted">${line}</div>`)}
          ${entry.runs && entry.runs.length > 0 && html`<div>${entry.runs.map((child) => html`
            <div><${RunLink} id=${child.id} />${child.note ? html` <span class="muted">${child.note}</span>` : ''}
            </div>`)}</div>`}
          <${ErrorDetails} error=${entry.error} />
        </li>`)}</ol>
    </div>`;
}
