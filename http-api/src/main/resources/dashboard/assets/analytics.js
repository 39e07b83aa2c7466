// The Analytics page: finished runs per task from ClickHouse (GET /api/v1/analytics/tasks and …/throughput) over a
// window, as charts (throughput by outcome, failure rate, duration percentiles) and a table. The window, task and
// interval live in the page's URL (/analytics?period=7d&task=…), so a view can be shared.
import { useEffect, useState } from 'preact/hooks';
import { html, Link, navigate } from './html.js';
import { api } from './api.js';
import { duration, fromLocalInput, toLocalInput } from './format.js';
import { Legend, Lines, StackedBars } from './charts.js';

const PERIODS = ['1h', '6h', '24h', '7d', '30d'];
const OUTCOMES = [
  { key: 'completed', label: 'Completed' },
  { key: 'failed', label: 'Failed' },
  { key: 'canceled', label: 'Canceled' },
  { key: 'expired', label: 'Expired' },
];
const PERCENTILES = [
  { key: 'p50', label: 'p50', value: (b) => (b.durationMs ? b.durationMs.p50 : null) },
  { key: 'p95', label: 'p95', value: (b) => (b.durationMs ? b.durationMs.p95 : null) },
  { key: 'p99', label: 'p99', value: (b) => (b.durationMs ? b.durationMs.p99 : null) },
];
const FAILURE_RATE = [
  { key: 'rate', label: 'Failure rate', value: (b) => (b.finished ? b.failureRate : null) },
];
const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone;

function percent(rate) {
  return `${(rate * 100).toFixed(rate > 0 && rate < 0.1 ? 1 : 0)}%`;
}

// The page's parameters → the API's query (the same names), without the empty ones.
function apiQuery(params, names) {
  const query = new URLSearchParams();
  for (const name of names) if (params.get(name)) query.set(name, params.get(name));
  if (!params.get('from') && !params.get('period')) query.set('period', '24h');
  return query.toString();
}

function Controls({ params, tasks, intervals }) {
  const custom = !!params.get('from');
  const [form, setForm] = useState({
    period: custom ? 'custom' : params.get('period') || '24h',
    from: params.get('from') || '',
    to: params.get('to') || '',
    task: params.get('task') || '',
    interval: params.get('interval') || '',
  });
  const apply = (next) => {
    const query = new URLSearchParams();
    if (next.period === 'custom') {
      if (next.from) query.set('from', next.from);
      if (next.to) query.set('to', next.to);
    } else if (next.period !== '24h') {
      query.set('period', next.period);
    }
    if (next.task) query.set('task', next.task);
    if (next.interval) query.set('interval', next.interval);
    navigate('/analytics' + (query.toString() ? '?' + query : ''));
  };
  // Choosing from a list applies at once; the custom window waits for its button.
  const choose = (name) => (event) => {
    const next = { ...form, [name]: event.target.value };
    setForm(next);
    if (next.period !== 'custom' || (name !== 'period' && next.from)) apply(next);
  };
  const taskNames = [...new Set([...(tasks || []).map((t) => t.taskIdentifier), form.task].filter(Boolean))].sort();
  return html`
    <form class="card filters" id="analytics-window" onSubmit=${(e) => { e.preventDefault(); apply(form); }}>
      <label>Window
        <select name="period" value=${form.period} onChange=${choose('period')}>
          ${PERIODS.map((p) => html`<option value=${p}>last ${p}</option>`)}
          <option value="custom">from … to …</option>
        </select>
      </label>
      ${form.period === 'custom' && html`
        <label>From
          <input type="datetime-local" name="from" value=${toLocalInput(form.from)} required
            onInput=${(e) => setForm({ ...form, from: fromLocalInput(e.target.value) })} />
        </label>
        <label>To (empty: now)
          <input type="datetime-local" name="to" value=${toLocalInput(form.to)}
            onInput=${(e) => setForm({ ...form, to: fromLocalInput(e.target.value) })} />
        </label>`}
      <label>Task
        <select name="task" value=${form.task} onChange=${choose('task')}>
          <option value="">all tasks</option>
          ${taskNames.map((t) => html`<option value=${t}>${t}</option>`)}
        </select>
      </label>
      <label>Interval
        <select name="interval" value=${form.interval} onChange=${choose('interval')}>
          <option value="">automatic</option>
          ${(intervals || []).map((i) => html`<option value=${i}>${i}</option>`)}
        </select>
      </label>
      ${form.period === 'custom' && html`
        <div class="actions"><button class="primary" type="submit" id="apply-window">Apply</button></div>`}
    </form>`;
}

function TaskTable({ tasks, selected, search }) {
  const runsLink = (task) => {
    const query = new URLSearchParams({ task });
    const params = new URLSearchParams(search);
    if (params.get('period') && ['1h', '6h', '24h', '7d', '30d'].includes(params.get('period'))) {
      query.set('period', params.get('period') === '24h' ? '1d' : params.get('period'));
    }
    return '/runs?' + query;
  };
  const rows = selected ? tasks.filter((t) => t.taskIdentifier === selected) : tasks;
  const ms = (row, key) => (row.durationMs ? duration(row.durationMs[key]) : '–');
  return html`
    <div class="table-wrap">
      <table id="analytics-tasks">
        <thead><tr>
          <th>Task</th><th class="num">Finished</th><th class="num wide">Completed</th><th class="num">Failed</th>
          <th class="num wide">Canceled</th><th class="num wide">Expired</th><th class="num">Failure rate</th>
          <th class="num">p50</th><th class="num wide">p95</th><th class="num wide">p99</th>
        </tr></thead>
        <tbody>
          ${rows.length === 0 && html`<tr><td colspan="10" class="muted">No runs finished in this window.</td></tr>`}
          ${rows.map((row) => html`
            <tr data-task=${row.taskIdentifier}>
              <td><${Link} href=${runsLink(row.taskIdentifier)}>${row.taskIdentifier}<//></td>
              <td class="num" data-field="finished">${row.finished}</td>
              <td class="num wide" data-field="completed">${row.completed}</td>
              <td class="num" data-field="failed">${row.failed}</td>
              <td class="num wide" data-field="canceled">${row.canceled}</td>
              <td class="num wide" data-field="expired">${row.expired}</td>
              <td class="num" data-field="failureRate">${percent(row.failureRate)}</td>
              <td class="num" data-field="p50">${ms(row, 'p50')}</td>
              <td class="num wide" data-field="p95">${ms(row, 'p95')}</td>
              <td class="num wide" data-field="p99">${ms(row, 'p99')}</td>
            </tr>`)}
        </tbody>
      </table>
    </div>`;
}

export function AnalyticsPage({ search }) {
  const params = new URLSearchParams(search);
  const [status, setStatus] = useState(null);
  const [tasks, setTasks] = useState(null);
  const [series, setSeries] = useState(null);
  const [error, setError] = useState('');
  const [loading, setLoading] = useState(false);

  const load = async () => {
    setLoading(true);
    try {
      const found = status || await api('/api/v1/analytics');
      setStatus(found);
      if (!found.enabled) return;
      // The table lists every task of the window (also to pick from); the series follows the chosen task.
      const [all, throughput] = await Promise.all([
        api('/api/v1/analytics/tasks?' + apiQuery(params, ['period', 'from', 'to'])),
        api('/api/v1/analytics/throughput?' + apiQuery(params, ['period', 'from', 'to', 'task', 'interval'])),
      ]);
      setTasks(all);
      setSeries(throughput);
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

  if (status && !status.enabled) {
    return html`<h1>Analytics</h1><div class="notice" id="analytics-off">${status.reason}</div>`;
  }
  const buckets = series ? series.data : [];
  const totals = buckets.reduce((sum, b) => ({
    finished: sum.finished + b.finished, failed: sum.failed + b.failed,
  }), { finished: 0, failed: 0 });
  const selected = params.get('task') || '';
  return html`
    <div class="row">
      <h1>Analytics</h1>
      <span class="spacer"></span>
      <button id="refresh" onClick=${load} disabled=${loading}>${loading ? 'Loading…' : 'Refresh'}</button>
    </div>
    <${Controls} key=${search} params=${params} tasks=${tasks && tasks.data} intervals=${status && status.intervals} />
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${series && html`
      <p class="muted" id="analytics-summary">
        ${selected ? html`Task <b>${selected}</b>: ` : 'All tasks: '}
        <b>${totals.finished}</b> runs finished, ${totals.failed} failed
        ${totals.finished ? ` (${percent(totals.failed / totals.finished)})` : ''},
        per ${series.interval}, times in ${ZONE}.
      </p>
      <div class="charts">
        <section class="card">
          <h2>Throughput</h2>
          <${Legend} series=${OUTCOMES} />
          <${StackedBars} id="chart-throughput" buckets=${buckets} intervalMs=${series.intervalMs}
            series=${OUTCOMES} label="Runs finished per interval, by outcome" />
        </section>
        <section class="card">
          <h2>Failure rate</h2>
          <${Lines} id="chart-failure-rate" buckets=${buckets} intervalMs=${series.intervalMs}
            series=${FAILURE_RATE} yMax=${1} yFormat=${percent} label="Failed runs over finished runs per interval" />
        </section>
        <section class="card">
          <h2>Duration</h2>
          <${Legend} series=${PERCENTILES} />
          <${Lines} id="chart-duration" buckets=${buckets} intervalMs=${series.intervalMs}
            series=${PERCENTILES} yFormat=${duration} label="Execution time percentiles per interval" />
        </section>
      </div>`}
    ${tasks && html`
      <h2>Per task</h2>
      <${TaskTable} tasks=${tasks.data} selected=${selected} search=${search} />`}`;
}
