// The Projects page, for a personal access token's session: the organizations' projects, each environment's settings
// (paused, concurrency limit, trigger rate limit; PATCH …/environments/{env}) and its API keys (list, create — the
// secret is shown once —, rotate, revoke). All of it is the management API (docs/api.md, "Management").
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { api } from './api.js';
import { fromLocalInput, time } from './format.js';

const management = (path, options = {}) => api(path, { ...options, environment: false });

function environmentPath(ref, slug) {
  return `/api/v1/projects/${encodeURIComponent(ref)}/environments/${encodeURIComponent(slug)}`;
}

function rateLimitText(limit) {
  return limit ? `${limit.burst} burst, ${limit.refill} per ${limit.interval}` : 'node default';
}

function SettingsForm({ projectRef, environment, onSaved }) {
  const rate = environment.triggerRateLimit || {};
  const [form, setForm] = useState({
    paused: environment.paused,
    concurrencyLimit: environment.concurrencyLimit ? String(environment.concurrencyLimit) : '',
    burst: rate.burst ? String(rate.burst) : '',
    refill: rate.refill ? String(rate.refill) : '',
    interval: rate.interval || '',
  });
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const field = (name) => (event) => setForm({ ...form, [name]: event.target.value });
  const save = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    const ownRate = form.burst || form.refill || form.interval;
    const body = {
      paused: form.paused,
      // Empty: the node's default (null), as the API reads it.
      concurrencyLimit: form.concurrencyLimit.trim() ? Number(form.concurrencyLimit) : null,
      triggerRateLimit: ownRate
        ? { burst: Number(form.burst), refill: Number(form.refill), interval: form.interval.trim() }
        : null,
    };
    try {
      onSaved(await management(environmentPath(projectRef, environment.slug), { method: 'PATCH', body }));
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <form class="filters settings-form" onSubmit=${save}>
      <label class="check"><span>Paused</span>
        <input type="checkbox" name="paused" checked=${form.paused}
          onChange=${(e) => setForm({ ...form, paused: e.target.checked })} /></label>
      <label>Concurrency limit
        <input name="concurrencyLimit" inputmode="numeric" placeholder="node default" value=${form.concurrencyLimit}
          onInput=${field('concurrencyLimit')} /></label>
      <label>Trigger burst<input name="burst" inputmode="numeric" placeholder="node default" value=${form.burst}
        onInput=${field('burst')} /></label>
      <label>Refill<input name="refill" inputmode="numeric" placeholder="node default" value=${form.refill}
        onInput=${field('refill')} /></label>
      <label>Every<input name="interval" placeholder="e.g. 1s" value=${form.interval}
        onInput=${field('interval')} /></label>
      <div class="actions"><button class="primary" type="submit" disabled=${busy}>Save settings</button></div>
      ${error && html`<div class="error" role="alert">${error}</div>`}
    </form>`;
}

function Keys({ projectRef, slug }) {
  const path = `${environmentPath(projectRef, slug)}/keys`;
  const [keys, setKeys] = useState(null);
  const [error, setError] = useState('');
  const [secret, setSecret] = useState(null);
  const [form, setForm] = useState({ kind: 'secret', name: '', expiresAt: '' });
  const [busy, setBusy] = useState(false);

  const load = async () => {
    try {
      setKeys((await management(path)).data);
      setError('');
    } catch (e) {
      setError(e.message);
    }
  };
  useEffect(() => {
    load();
  }, [path]);

  const act = async (call) => {
    setBusy(true);
    try {
      await call();
      await load();
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  const create = (event) => {
    event.preventDefault();
    const body = { kind: form.kind };
    if (form.name.trim()) body.name = form.name.trim();
    if (form.expiresAt) body.expiresAt = fromLocalInput(form.expiresAt);
    act(async () => {
      const created = await management(path, { method: 'POST', body });
      setSecret({ id: created.id, key: created.key, what: 'created' });
      setForm({ ...form, name: '', expiresAt: '' });
    });
  };
  const rotate = (key) => {
    const overlap = prompt(`Rotate ${key.name || key.id}: how long may the old key still be used?`, '24h');
    if (overlap === null) return;
    act(async () => {
      const rotated = await management(`${path}/${encodeURIComponent(key.id)}/rotate`,
        { method: 'POST', body: overlap.trim() ? { overlap: overlap.trim() } : {} });
      setSecret({ id: rotated.key.id, key: rotated.key.key, what: `rotated from ${key.id}` });
    });
  };
  const revoke = (key) => {
    if (!confirm(`Revoke ${key.name || key.id}? Every caller using it is refused within a second.`)) return;
    act(() => management(`${path}/${encodeURIComponent(key.id)}`, { method: 'DELETE' }));
  };

  return html`
    <div class="keys" data-environment=${slug}>
      ${error && html`<div class="error" role="alert">${error}</div>`}
      ${secret && html`
        <div class="notice new-key">Key ${secret.id} ${secret.what}. Copy its secret now, it is not shown again:
          <div class="mono secret" id="new-key-secret">${secret.key}</div>
          <button type="button" onClick=${() => setSecret(null)}>Done</button>
        </div>`}
      <form class="row create-key" onSubmit=${create}>
        <select name="kind" value=${form.kind} onChange=${(e) => setForm({ ...form, kind: e.target.value })}>
          <option value="secret">secret key</option><option value="worker">worker token</option>
        </select>
        <input name="name" placeholder="name (optional)" value=${form.name}
          onInput=${(e) => setForm({ ...form, name: e.target.value })} />
        <label class="muted">expires
          <input type="datetime-local" name="expiresAt" value=${form.expiresAt}
            onInput=${(e) => setForm({ ...form, expiresAt: e.target.value })} /></label>
        <button class="primary" type="submit" disabled=${busy}>Create key</button>
      </form>
      ${keys && html`
        <div class="table-wrap"><table class="keys-table">
          <thead><tr><th>Key</th><th>Kind</th><th class="wide">Created</th><th class="wide">Last used</th>
            <th>State</th><th></th></tr></thead>
          <tbody>
            ${keys.length === 0 && html`<tr><td colspan="6" class="muted">No keys.</td></tr>`}
            ${keys.map((key) => {
              const revoked = !!key.revokedAt;
              const expired = !revoked && key.expiresAt && new Date(key.expiresAt) <= new Date();
              return html`
                <tr data-key-id=${key.id}>
                  <td>${key.name || html`<span class="muted">unnamed</span>`}
                    <div class="mono muted">${key.prefix}… ${key.id}</div></td>
                  <td>${key.kind}</td>
                  <td class="wide">${time(key.createdAt)}</td>
                  <td class="wide">${key.lastUsedAt
                    ? time(key.lastUsedAt) : html`<span class="muted">never</span>`}</td>
                  <td class="key-state">${revoked ? html`<span class="status bad">revoked ${time(key.revokedAt)}</span>`
                    : expired ? html`<span class="status bad">expired</span>`
                    : key.expiresAt ? html`<span class="status wait">expires ${time(key.expiresAt)}</span>`
                    : html`<span class="status ok">active</span>`}</td>
                  <td>${revoked || expired ? null : html`<div class="row">
                    <button class="rotate" disabled=${busy} onClick=${() => rotate(key)}>Rotate</button>
                    <button class="danger revoke" disabled=${busy} onClick=${() => revoke(key)}>Revoke</button>
                  </div>`}</td>
                </tr>`;
            })}
          </tbody>
        </table></div>`}
    </div>`;
}

function EnvironmentCard({ project, environment: initial }) {
  const [environment, setEnvironment] = useState(initial);
  const [saved, setSaved] = useState(false);
  return html`
    <details class="card environment" data-environment=${`${project.externalRef}/${environment.slug}`}>
      <summary>
        <span class="mono">${environment.slug}</span> <span class="muted">${environment.type}</span>
        ${environment.paused ? html` <span class="status wait">paused</span>` : null}
        <span class="muted">${` · concurrency ${environment.concurrencyLimit || 'node default'}`
          + ` · triggers ${rateLimitText(environment.triggerRateLimit)}`}</span>
      </summary>
      <h2>Settings</h2>
      ${saved && html`<div class="notice">Saved; in force at once, cluster-wide.</div>`}
      <${SettingsForm} projectRef=${project.externalRef} environment=${environment}
        onSaved=${(updated) => { setEnvironment(updated); setSaved(true); }} />
      <h2>API keys</h2>
      <${Keys} projectRef=${project.externalRef} slug=${environment.slug} />
    </details>`;
}

function ProjectCard({ project }) {
  const [environments, setEnvironments] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    management(`/api/v1/projects/${encodeURIComponent(project.externalRef)}/environments`)
      .then(setEnvironments)
      .catch((e) => setError(e.message));
  }, [project.externalRef]);
  return html`
    <section class="project" data-project=${project.externalRef}>
      <h2>${project.name} <span class="mono muted">${project.externalRef}</span>
        <span class="muted"> · ${project.organization.title}</span></h2>
      ${error && html`<div class="error" role="alert">${error}</div>`}
      ${environments && environments.map((environment) => html`
        <${EnvironmentCard} key=${environment.id} project=${project} environment=${environment} />`)}
    </section>`;
}

export function ProjectsPage({ who }) {
  const [projects, setProjects] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    if (who.type !== 'personalAccessToken') return;
    management('/api/v1/projects').then(setProjects).catch((e) => setError(e.message));
  }, []);
  if (who.type !== 'personalAccessToken') {
    return html`
      <h1>Projects</h1>
      <div class="notice" id="needs-personal-access-token">
        Projects, environments and API keys are managed with a personal access token
        (<span class="mono">tr_pat_…</span>; <span class="mono">baton dev</span> prints one, and
        <span class="mono">baton tokens create</span> makes more). This session was opened with an environment's
        secret key, which opens only that environment: sign out and sign in with a personal access token.
      </div>`;
  }
  return html`
    <h1>Projects</h1>
    ${error && html`<div class="error" role="alert">${error}</div>`}
    ${projects && projects.length === 0 && html`<p class="muted">No projects.</p>`}
    ${projects && projects.map((project) => html`<${ProjectCard} key=${project.id} project=${project} />`)}`;
}
