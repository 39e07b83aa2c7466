// A run's timeline, read from its journal (GET /api/v1/runs/{id}/events): when it was queued, each attempt with its
// worker, times, outcome and error, each wait (a duration, a waitpoint token, child runs) and what ended it.
// An attempt is journaled with its outcome, so a running one is known from the run's status only.

const ms = (iso) => (iso ? Date.parse(iso) : NaN);
const between = (from, to) => {
  const took = ms(to) - ms(from);
  return Number.isFinite(took) && took >= 0 ? took : undefined;
};

function entry(kind, title, at, extra = {}) {
  return { kind, title, at, tone: '', lines: [], runs: [], ...extra };
}

function waitTitle(wait) {
  switch (wait.kind) {
    case 'DURATION': return 'Wait for a duration';
    case 'TOKEN': return 'Wait for a waitpoint token';
    case 'RUNS': {
      const count = (wait.children || []).length;
      return `Wait for ${count} child run${count === 1 ? '' : 's'}${wait.batchId ? ' (batch)' : ''}`;
    }
    default: return 'Wait';
  }
}

function endOfWait(wait, result) {
  const error = result && result.error;
  switch (wait.kind) {
    case 'DURATION': return 'Ended: the time passed.';
    case 'TOKEN': return error ? `Ended: the token ${error.message || error.name}.` : 'Ended: the token was completed.';
    case 'RUNS': return 'Ended: every child run finished.';
    default: return 'Ended.';
  }
}

const OUTCOMES = {
  RunSucceeded: ['Succeeded', 'ok'],
  AttemptFailed: ['Failed', 'bad'],
  RunCanceled: ['Canceled while running', 'bad'],
  RunSuspended: ['Suspended to wait', 'wait'],
};

export function timelineOf(run, events) {
  const entries = [];
  const waits = new Map();
  // An attempt that suspended goes on after its wait (the same attempt, journaled again with its outcome).
  const attemptsSeen = new Set();
  let resumedAt = null;
  for (const event of events) {
    const data = event.data || {};
    const at = data.at || event.timestamp;
    if (data.attempt && OUTCOMES[event.type]) {
      const attempt = data.attempt;
      const [outcome, tone] = OUTCOMES[event.type];
      const resumed = attemptsSeen.has(attempt.number);
      attemptsSeen.add(attempt.number);
      const started = resumed && resumedAt ? resumedAt : attempt.startedAt || attempt.leasedAt;
      const item = entry('attempt', `Attempt ${attempt.number}${resumed ? ', resumed' : ''}`, started,
        { until: at, took: between(started, at), tone, error: data.error });
      item.lines.push(`Worker ${attempt.workerId || 'unknown'}${attempt.startedAt ? '' : ' (never started)'}.`);
      item.lines.push(outcome + (data.retryAt ? `; retried at ${new Date(data.retryAt).toLocaleString()}.` : '.'));
      entries.push(item);
    }
    switch (event.type) {
      case 'RunTriggered': {
        const spec = data.spec || {};
        const item = entry('triggered', spec.delayUntil ? 'Triggered, delayed' : 'Triggered and queued', at);
        item.lines.push(`Queue ${spec.queue || 'default'}.`);
        if (spec.delayUntil) item.lines.push(`Delayed until ${new Date(spec.delayUntil).toLocaleString()}.`);
        const lineage = spec.lineage || {};
        if (lineage.parentRunId) item.runs.push({ id: lineage.parentRunId, note: 'parent run' });
        if (spec.replayOf) item.runs.push({ id: spec.replayOf, note: 'replay of this run' });
        entries.push(item);
        break;
      }
      case 'RunRescheduled':
        entries.push(entry('rescheduled', 'Rescheduled', at,
          { lines: [`To start at ${new Date(data.delayUntil).toLocaleString()}.`] }));
        break;
      case 'RunDebounced': {
        const lines = [`A trigger with the run's debounce key moved its start to ${new Date(data.delayUntil).toLocaleString()}.`];
        if (data.latest) lines.push('Trailing mode: the run takes that trigger\'s payload.');
        entries.push(entry('rescheduled', 'Debounced', at, { lines }));
        break;
      }
      case 'RunEnqueued':
        entries.push(entry('queued', 'Queued', at, { tone: 'wait' }));
        break;
      case 'RunSuspended': {
        const wait = data.waitFor || {};
        const item = entry('wait', waitTitle(wait), at, { tone: 'wait' });
        if (wait.kind === 'DURATION' && wait.until) {
          const seconds = Math.round((between(at, wait.until) || 0) / 1000);
          item.lines.push(`Until ${new Date(wait.until).toLocaleString()} (${seconds} s).`);
        }
        if (wait.kind === 'TOKEN') item.lines.push(`Token ${wait.tokenId}.`);
        if (wait.batchId) item.lines.push(`Batch ${wait.batchId}.`);
        item.wait = wait;
        waits.set(wait.key, item);
        entries.push(item);
        break;
      }
      case 'WaitResolved': {
        const item = waits.get(data.key);
        const result = data.result || {};
        if (item && data.childRunId) {
          item.runs.push({
            id: data.childRunId,
            note: result.error ? `failed: ${result.error.message || result.error.name}` : 'finished',
          });
        }
        break;
      }
      case 'RunResumed': {
        const item = waits.get(data.key);
        resumedAt = at;
        if (item) {
          item.until = at;
          item.took = between(item.at, at);
          item.lines.push(endOfWait(item.wait, data.result));
          if (data.result && data.result.error) item.error = data.result.error;
          item.tone = '';
          waits.delete(data.key);
        }
        break;
      }
      case 'RunFailed':
        entries.push(entry('failed', 'Run failed', at, { tone: 'bad', status: data.status, error: data.error }));
        break;
      case 'RunCanceled':
        if (!data.attempt) entries.push(entry('canceled', 'Canceled', at, { tone: 'bad' }));
        break;
      case 'RunExpired':
        entries.push(entry('expired', 'Expired: its TTL passed before it started', at, { tone: 'bad' }));
        break;
      case 'RunSucceeded':
        entries.push(entry('succeeded', 'Run completed', at, { tone: 'ok' }));
        break;
      case 'TagsAdded':
        entries.push(entry('tags', 'Tags added', at, { lines: [(data.tags || []).join(', ')] }));
        break;
      case 'MetadataUpdated':
        entries.push(entry('metadata', 'Metadata updated', at));
        break;
      case 'StepCompleted':
        entries.push(entry('step', `Step ${data.key} done`, at, { error: data.result && data.result.error }));
        break;
      default:
        break;
    }
  }
  for (const item of waits.values()) item.lines.push('Still waiting.');
  if (run.status === 'EXECUTING' || run.status === 'DEQUEUED') {
    entries.push(entry('running', `Attempt ${run.attemptCount || 1} ${run.status === 'DEQUEUED' ? 'taken by a worker'
      : 'running'}`, run.updatedAt, { tone: 'run' }));
  }
  return entries;
}
