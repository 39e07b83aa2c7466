// The Run page's Logs panel: GET /api/v1/runs/{id}/logs?follow=true read as Server-Sent Events through fetch (so
// it carries x-baton-environment, which an EventSource cannot), per attempt and level, errors' stacks folded.
import { useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';
import { chosenEnvironment } from './api.js';
import { time } from './format.js';

// The panel's own style sheet, added once when the module loads (dashboard.css stays the shared one).
if (!document.querySelector('link[data-logs-css]')) {
  const sheet = document.createElement('link');
  sheet.rel = 'stylesheet';
  sheet.href = '/assets/logs.css';
  sheet.dataset.logsCss = '';
  document.head.appendChild(sheet);
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];
// A line's time of day to the millisecond, in the viewer's zone; the full date is in its tooltip.
const CLOCK = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit', minute: '2-digit', second: '2-digit', fractionalSecondDigits: 3, hour12: false,
});

function clock(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : CLOCK.format(date);
}
// Lines kept on the page; older ones drop off the top (the API still has them all).
const MAX_SHOWN = 5000;

// Reads an SSE body: calls onEvent(type, data) per event; an event's fields end at a blank line, in any order.
async function readEvents(response, onEvent) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let type = 'message';
  let data = [];
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, end).replace(/\r$/, '');
      buffer = buffer.slice(end + 1);
      if (line === '') {
        if (data.length) onEvent(type, data.join('\n'));
        type = 'message';
        data = [];
      } else if (line.startsWith('event:')) {
        type = line.slice(6).trim();
      } else if (line.startsWith('data:')) {
        data.push(line.slice(5).replace(/^ /, ''));
      }
    }
  }
}

function LogLine({ line }) {
  const attributes = Object.entries(line.attributes || {}).filter(([key]) => key !== 'baton.marker');
  return html`
    <li class=${'log-line level-' + line.level} data-seq=${line.seq} data-attempt=${line.attemptNumber}>
      <span class="log-time" title=${time(line.timestamp)}>${clock(line.timestamp)}</span>
      <span class="log-attempt" title="attempt">#${line.attemptNumber}</span>
      <span class=${'log-level level-' + line.level}>${line.level}</span>
      <span class="log-message">${line.message}</span>
      ${attributes.length > 0 && html`<span class="log-attributes mono">${attributes
        .map(([key, value]) => `${key}=${JSON.stringify(value)}`).join(' ')}</span>`}
      ${line.error && html`
        <details class="log-error">
          <summary><strong>${line.error.name || 'Error'}</strong>: ${line.error.message || ''}</summary>
          ${line.error.stackTrace && html`<pre class="json">${line.error.stackTrace}</pre>`}
        </details>`}
    </li>`;
}

// onEnd is called once the stream says the run has ended and every line is shown (the page then reloads the run).
export function RunLogs({ runId, attempts, onEnd }) {
  const [lines, setLines] = useState([]);
  // The filters live in the page's URL (logLevel, logAttempt), so a shared link shows the same lines.
  const query = new URLSearchParams(location.search);
  const [level, setLevel] = useState(LEVELS.includes(query.get('logLevel')) ? query.get('logLevel') : '');
  const [attempt, setAttempt] = useState(/^[1-9][0-9]*$/.test(query.get('logAttempt') || '')
    ? query.get('logAttempt') : '');
  const [state, setState] = useState('connecting');
  const [error, setError] = useState('');
  const [generation, setGeneration] = useState(0);
  const lastSeq = useRef(0);

  // A new filter reads from the start (a reconnect resumes after the last line shown) and goes into the URL.
  useEffect(() => {
    setLines([]);
    lastSeq.current = 0;
    const url = new URL(location.href);
    if (level) url.searchParams.set('logLevel', level);
    else url.searchParams.delete('logLevel');
    if (attempt) url.searchParams.set('logAttempt', attempt);
    else url.searchParams.delete('logAttempt');
    if (url.href !== location.href) history.replaceState(null, '', url.pathname + url.search);
  }, [runId, level, attempt]);

  useEffect(() => {
    const controller = new AbortController();
    const params = new URLSearchParams({ follow: 'true' });
    if (level) params.set('level', level);
    if (attempt) params.set('attempt', attempt);
    if (lastSeq.current) params.set('page[after]', String(lastSeq.current));
    const headers = { 'x-baton-csrf': '1', accept: 'text/event-stream' };
    if (chosenEnvironment()) headers['x-baton-environment'] = chosenEnvironment();
    setState('connecting');
    setError('');
    (async () => {
      try {
        const response = await fetch(`/api/v1/runs/${encodeURIComponent(runId)}/logs?${params}`, {
          headers, credentials: 'same-origin', signal: controller.signal,
        });
        if (!response.ok) {
          const body = await response.json().catch(() => null);
          throw new Error((body && body.error) || `${response.status} ${response.statusText}`);
        }
        setState('live');
        let ended = false;
        await readEvents(response, (type, data) => {
          if (type === 'log') {
            const line = JSON.parse(data);
            lastSeq.current = line.seq;
            setLines((shown) => {
              const next = shown.concat(line);
              return next.length > MAX_SHOWN ? next.slice(next.length - MAX_SHOWN) : next;
            });
          } else if (type === 'end') {
            ended = true;
          }
        });
        setState(ended ? 'ended' : 'disconnected');
        if (ended && onEnd) onEnd();
      } catch (e) {
        if (controller.signal.aborted) return;
        setError(e.message);
        setState('disconnected');
      }
    })();
    return () => controller.abort();
  }, [runId, level, attempt, generation]);

  const attemptNumbers = [];
  for (let n = 1; n <= Math.max(attempts || 0, 1); n++) attemptNumbers.push(n);
  const stateText = {
    connecting: 'connecting…', live: 'live', ended: 'all lines shown (the run has ended)', disconnected: 'disconnected',
  }[state];
  return html`
    <div class="card" id="run-logs">
      <div class="row">
        <h2 style="margin:0">Logs</h2>
        <span class=${'log-state ' + state} id="logs-state">${stateText}</span>
        <span class="spacer"></span>
        <label class="muted">Attempt
          <select id="logs-attempt" value=${attempt} onChange=${(e) => setAttempt(e.target.value)}>
            <option value="">all</option>
            ${attemptNumbers.map((n) => html`<option value=${String(n)}>${n}</option>`)}
          </select></label>
        <label class="muted">Level
          <select id="logs-level" value=${level} onChange=${(e) => setLevel(e.target.value)}>
            <option value="">all</option>
            ${LEVELS.map((name) => html`<option value=${name}>${name} and above</option>`)}
          </select></label>
        ${state === 'disconnected' && html`
          <button id="logs-reconnect" onClick=${() => setGeneration(generation + 1)}>Reconnect</button>`}
      </div>
      ${error && html`<div class="error" role="alert">${error}</div>`}
      ${lines.length === 0
        ? html`<p class="muted" id="logs-empty">No log lines${level || attempt ? ' match the filters' : ''}.</p>`
        : html`<ol class="log-lines mono" id="log-lines">${lines.map((line) => html`<${LogLine} key=${line.seq}
            line=${line} />`)}</ol>`}
    </div>`;
}
