// The run change streams (GET /api/v1/runs/stream, /api/v1/runs/{id}/stream: Server-Sent Events). Read with fetch
// rather than EventSource, which cannot send x-baton-environment for a personal access token's session. A dropped
// connection is opened again (backing off); the page hears "ready" each time it is subscribed, and must read what
// it shows again then, since changes made while it was away were not sent.
import { useEffect, useState } from 'preact/hooks';
import { chosenEnvironment } from './api.js';

const MAX_BACKOFF_MS = 30000;

// The badge next to a page's title, by the stream's state.
export const LIVE_LABELS = {
  live: 'Live', connecting: 'Connecting…', retrying: 'Reconnecting…', paused: 'Paused while hidden',
};

// handlers: { ready({at}), runs(items), resync(info),
//   state('connecting'|'live'|'retrying'|'paused'|'refused', detail) }.
// While the tab is hidden the stream is closed ('paused'), and opened again when it is shown: over HTTP/1.1 a browser
// keeps about six connections per host for all its tabs, and a stream holds one. Returns a function that closes it.
export function openRunStream(path, handlers) {
  let controller = null;
  let closed = false;
  let paused = document.hidden;
  let wake = null;
  let failures = 0;
  const state = (name, detail) => handlers.state && handlers.state(name, detail);

  const dispatch = (type, data) => {
    let value = null;
    try {
      value = data ? JSON.parse(data) : null;
    } catch (e) {
      return;
    }
    if (type === 'ready') handlers.ready && handlers.ready(value);
    else if (type === 'runs') handlers.runs && handlers.runs(value);
    else if (type === 'resync') handlers.resync && handlers.resync(value);
  };

  const onVisibility = () => {
    paused = document.hidden;
    if (paused && controller) controller.abort();
    if (!paused && wake) wake();
  };

  const read = async () => {
    controller = new AbortController();
    const headers = { accept: 'text/event-stream', 'x-baton-csrf': '1' };
    const environment = chosenEnvironment();
    if (environment) headers['x-baton-environment'] = environment;
    const response = await fetch(path, {
      headers, credentials: 'same-origin', cache: 'no-store', signal: controller.signal,
    });
    if (!response.ok) {
      let message = `${response.status}`;
      try {
        message = (await response.json()).error || message;
      } catch (e) { /* not JSON */ }
      // Refused for good (signed out, not allowed, bad filter): no point asking again.
      if (response.status !== 429 && response.status < 500) return message;
      throw new Error(message);
    }
    failures = 0;
    state('live');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return null;
      buffer += value.replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let type = 'message';
        const data = [];
        for (const line of block.split('\n')) {
          if (line.startsWith('event:')) type = line.slice(6).trim();
          else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
        }
        if (data.length) dispatch(type, data.join('\n'));
      }
    }
  };

  const connect = async () => {
    while (!closed) {
      if (paused) {
        state('paused');
        await new Promise((resolve) => {
          wake = resolve;
        });
        wake = null;
        continue;
      }
      state(failures ? 'retrying' : 'connecting');
      try {
        const refused = await read();
        if (refused) {
          state('refused', refused);
          return;
        }
      } catch (e) {
        // A failed or aborted connection: see below.
      }
      if (closed) return;
      if (paused) continue;
      failures++;
      state('retrying');
      await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_BACKOFF_MS, 500 * 2 ** failures)));
    }
  };
  const close = () => {
    closed = true;
    if (controller) controller.abort();
    if (wake) wake();
    removeEventListener('pagehide', close);
    document.removeEventListener('visibilitychange', onVisibility);
  };
  // A page left for another keeps no stream either.
  addEventListener('pagehide', close);
  document.addEventListener('visibilitychange', onVisibility);
  connect();
  return close;
}

// Gathers runs by id (the latest row of each) and hands them to apply at most once per animation frame, so a burst
// of events is one render. A hidden tab draws no frames: past MAX_QUEUED runs (twice what the node sends a window
// at most) it stops keeping them and asks for a reload (overflow) instead, as the node does for a slow connection.
const MAX_QUEUED = 10000;

export function runBatcher(apply, overflow) {
  let queued = new Map();
  let overflowed = false;
  let scheduled = false;
  const flush = () => {
    scheduled = false;
    const batch = [...queued.values()];
    const reload = overflowed;
    queued = new Map();
    overflowed = false;
    if (reload) overflow();
    else if (batch.length) apply(batch);
  };
  const queue = (runs) => {
    if (!overflowed) {
      for (const run of runs) queued.set(run.id, run);
      if (queued.size > MAX_QUEUED) {
        overflowed = true;
        queued = new Map();
      }
    }
    if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(flush);
    }
  };
  return queue;
}

// The current time, again every second while active (some run executes), for durations that count up.
export function useTicking(active) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    if (!active) return undefined;
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [active]);
  return now;
}
