// The Waitpoint tokens page: GET /api/v1/waitpoints/tokens with every filter it has (status, tags, idempotency key,
// created window, page size) and its keyset pages, all kept in the URL; a waiting token is completed here with a
// JSON body (POST …/complete {data}).
import { useState } from 'preact/hooks';
import { CreatedWindowFields, useFilterForm } from './filters.js';
import { html, navigate, Link } from './html.js';
import { api, useLoaded } from './api.js';
import { statusClass, time } from './format.js';

const FILTERS = {
  status: 'filter[status]',
  tags: 'filter[tags]',
  key: 'filter[idempotencyKey]',
  period: 'filter[createdAt][period]',
  from: 'filter[createdAt][from]',
  to: 'filter[createdAt][to]',
  size: 'page[size]',
  after: 'page[after]',
  before: 'page[before]',
};
const PAGE_CURSORS = ['after', 'before'];

function tokenStatusClass(status) {
  if (status === 'TIMED_OUT') return 'bad';
  return statusClass(status);
}

function Filters({ params }) {
  const { form, setForm, field, apply } = useFilterForm(
    params, Object.keys(FILTERS).filter((name) => !PAGE_CURSORS.includes(name)), '/tokens');
  const filtered = Object.values(form).some((value) => value);
  const open = filtered || window.matchMedia('(min-width: 761px)').matches;
  return html`
    <details class="card" open=${open}>
      <summary>Filters${filtered ? ' (active)' : ''}</summary>
      <form class="filters" id="token-filters" onSubmit=${apply}>
        <label>Status
          <select name="status" value=${form.status} onChange=${field('status')}>
            ${['', 'WAITING', 'COMPLETED', 'TIMED_OUT'].map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
          </select>
        </label>
        <label>Tags<input name="tags" value=${form.tags} placeholder="any of these, comma-separated"
          onInput=${field('tags')} /></label>
        <label>Idempotency key<input name="key" value=${form.key} onInput=${field('key')} /></label>
        <${CreatedWindowFields} form=${form} setForm=${setForm} />
        <label>Per page
          <select name="size" value=${form.size} onChange=${field('size')}>
            ${['', '10', '25', '50', '100'].map((n) => html`<option value=${n}>${n || 'default'}</option>`)}
          </select>
        </label>
        <div class="actions">
          <button class="primary" type="submit" id="apply-filters">Apply</button>
          <button type="button" onClick=${() => navigate('/tokens')}>Clear</button>
        </div>
      </form>
    </details>`;
}

// Completing a token: its data is the JSON typed here (empty: completed without data).
function CompleteForm({ token, onDone, onCancel }) {
  const [text, setText] = useState('{}');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    let body = {};
    if (text.trim()) {
      try {
        body = { data: JSON.parse(text) };
      } catch (e) {
        setError('Not JSON: ' + e.message);
        return;
      }
    }
    setBusy(true);
    try {
      await api(`/api/v1/waitpoints/tokens/${encodeURIComponent(token.id)}/complete`, { method: 'POST', body });
      onDone(await api(`/api/v1/waitpoints/tokens/${encodeURIComponent(token.id)}`));
    } catch (e) {
      setError(e.message);
      setBusy(false);
    }
  };
  return html`
    <form class="complete-form" onSubmit=${submit}>
      <label class="muted">Data (JSON) for the runs waiting on ${token.id}</label>
      <textarea name="data" class="mono" spellcheck="false" value=${text}
        onInput=${(e) => setText(e.target.value)}></textarea>
      ${error && html`<div class="error" role="alert">${error}</div>`}
      <div class="row">
        <button class="primary" type="submit" disabled=${busy}>Complete token</button>
        <button type="button" onClick=${onCancel}>Cancel</button>
      </div>
    </form>`;
}

export function TokensPage({ search }) {
  const params = new URLSearchParams(search);
  const [notice, setNotice] = useState('');
  const [completing, setCompleting] = useState('');
  const { data: page, setData: setPage, loading, error, reload: load } = useLoaded(async () => {
    const query = new URLSearchParams();
    for (const [name, apiName] of Object.entries(FILTERS)) if (params.get(name)) query.set(apiName, params.get(name));
    return api('/api/v1/waitpoints/tokens' + (query.toString() ? '?' + query : ''));
  }, [search]);

  // The list is the read model and lags a moment; the row shows what retrieve (the token itself) answered.
  const completed = (token) => {
    setCompleting('');
    setNotice(`Completed ${token.id}.`);
    setPage({ ...page, data: page.data.map((row) => (row.id === token.id ? { ...row, ...token } : row)) });
  };
  const pageLink = (cursor, value) => {
    const next = new URLSearchParams(search);
    PAGE_CURSORS.forEach((name) => next.delete(name));
    next.set(cursor, value);
    return '/tokens?' + next;
  };

  return html`
    <div class="row">
      <h1>Waitpoint tokens</h1>
      <span class="spacer"></span>
      <button id="refresh" onClick=${load} disabled=${loading}>${loading ? 'Loading…' : 'Refresh'}</button>
    </div>
    <${Filters} key=${search} params=${params} />
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${notice && html`<div class="notice" id="notice">${notice}</div>`}
    ${page && html`
      <div class="table-wrap">
        <table id="tokens">
          <thead><tr>
            <th>Token</th><th>Status</th><th>Created</th><th class="wide">Times out</th><th class="wide">Completed</th>
            <th class="wide">Tags</th><th></th>
          </tr></thead>
          <tbody>
            ${page.data.length === 0 && html`<tr><td colspan="7" class="muted">No tokens match.</td></tr>`}
            ${page.data.map((token) => html`
              <tr data-token-id=${token.id}>
                <td class="mono">${token.id}
                  ${token.idempotencyKey && html`<div class="muted">key: ${token.idempotencyKey}</div>`}</td>
                <td><span class=${'status token-status ' + tokenStatusClass(token.status)}>${token.status}</span></td>
                <td>${time(token.createdAt)}</td>
                <td class="wide">${time(token.timeoutAt)}</td>
                <td class="wide">${time(token.completedAt)}</td>
                <td class="wide">${(token.tags || []).map((tag) => html`<span class="tag">${tag}</span>`)}</td>
                <td>${token.status === 'WAITING' && completing !== token.id
                  ? html`<button class="complete" onClick=${() => setCompleting(token.id)}>Complete…</button>`
                  : null}</td>
              </tr>
              ${completing === token.id && html`
                <tr class="completing"><td colspan="7">
                  <${CompleteForm} token=${token} onDone=${completed} onCancel=${() => setCompleting('')} />
                </td></tr>`}`)}
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
