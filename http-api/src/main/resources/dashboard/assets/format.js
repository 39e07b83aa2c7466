// Shared display helpers: times in the viewer's own time zone, durations, status colours.
const TIME = new Intl.DateTimeFormat(undefined, {
  year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  timeZoneName: 'short',
});

export function time(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : TIME.format(date);
}

export function duration(ms) {
  if (ms === undefined || ms === null) return '';
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 2 : 1)} s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes} min ${Math.round(seconds % 60)} s`;
}

// A run's time spent executing: its finished attempts' (durationMs), plus the running attempt's so far when the
// run change stream said when it started (attemptStartedAt).
export function runDuration(run, now) {
  if (run.status === 'EXECUTING' && run.attemptStartedAt) {
    const running = now - Date.parse(run.attemptStartedAt);
    if (Number.isFinite(running) && running > 0) return duration((run.durationMs || 0) + Math.round(running));
  }
  return duration(run.durationMs);
}

export function statusClass(status) {
  switch (status) {
    case 'COMPLETED': return 'ok';
    case 'FAILED': case 'CRASHED': case 'SYSTEM_FAILURE': case 'TIMED_OUT': case 'EXPIRED': case 'CANCELED':
      return 'bad';
    case 'EXECUTING': case 'DEQUEUED': return 'run';
    case 'QUEUED': case 'DELAYED': case 'WAITING': case 'PENDING_VERSION': return 'wait';
    default: return '';
  }
}

export function json(value) {
  return value === undefined ? '' : JSON.stringify(value, null, 2);
}

// An ISO instant as a datetime-local input's value (the viewer's local time), and back.
export function toLocalInput(iso) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const local = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return local.toISOString().slice(0, 16);
}

export function fromLocalInput(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}
