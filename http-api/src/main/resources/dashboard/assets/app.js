// The dashboard's shell: who is signed in, the environment a personal access token's session works in, and the
// page the URL names (/runs, /runs/{id}, /queues, /workers, /schedules, /tokens, /batches, /batches/{id},
// /projects, /analytics; / shows the runs).
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html, Link, navigate } from './html.js';
import { api, chooseEnvironment, chosenEnvironment } from './api.js';
import { RunsPage } from './runs.js';
import { RunPage } from './run.js';
import { AnalyticsPage } from './analytics.js';
import { QueuesPage } from './queues.js';
import { WorkersPage } from './workers.js';
import { SchedulesPage } from './schedules.js';
import { TokensPage } from './tokens.js';
import { BatchesPage, BatchPage } from './batches.js';
import { ProjectsPage } from './projects.js';

// The header's pages: path prefix → label.
const PAGES = [
  ['/runs', 'Runs'],
  ['/queues', 'Queues'],
  ['/workers', 'Workers'],
  ['/schedules', 'Schedules'],
  ['/tokens', 'Tokens'],
  ['/batches', 'Batches'],
  ['/projects', 'Projects'],
];

function useLocation() {
  const [location, setLocation] = useState(() => ({ path: window.location.pathname, search: window.location.search }));
  useEffect(() => {
    const update = () => setLocation({ path: window.location.pathname, search: window.location.search });
    addEventListener('popstate', update);
    addEventListener('baton:navigate', update);
    return () => {
      removeEventListener('popstate', update);
      removeEventListener('baton:navigate', update);
    };
  }, []);
  return location;
}

function SignIn({ onSignedIn }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const body = { token: token.trim() };
      const who = await api('/dashboard/session', { method: 'POST', body, environment: false });
      onSignedIn(who);
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return html`
    <main>
      <form class="card signin" id="sign-in" onSubmit=${submit}>
        <h1>Sign in to Baton</h1>
        <p class="muted">
          Paste an environment's secret key (<span class="mono">tr_dev_sk_…</span>;${' '}
          <span class="mono">baton dev</span> prints one) or a personal access token
          (<span class="mono">tr_pat_…</span>).
        </p>
        ${error && html`<div class="error" role="alert">${error}</div>`}
        <textarea name="token" autocomplete="off" spellcheck="false" required value=${token}
          onInput=${(e) => setToken(e.target.value)} placeholder="tr_dev_sk_… or tr_pat_…"></textarea>
        <div class="row" style="margin-top:10px">
          <span class="spacer"></span>
          <button class="primary" type="submit" disabled=${busy || !token.trim()}>Sign in</button>
        </div>
      </form>
    </main>`;
}

// A personal access token opens every environment of its user's organizations: it picks one here, and every
// call then names it in x-baton-environment.
function EnvironmentPicker({ environment, onChange }) {
  const [choices, setChoices] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    (async () => {
      try {
        const projects = await api('/api/v1/projects', { environment: false });
        const all = [];
        for (const project of projects) {
          const environments = await api(`/api/v1/projects/${encodeURIComponent(project.externalRef)}/environments`,
            { environment: false });
          for (const env of environments) {
            all.push({ value: `${project.externalRef}/${env.slug}`, label: `${project.name} / ${env.slug}` });
          }
        }
        setChoices(all);
      } catch (e) {
        setError(e.message);
      }
    })();
  }, []);
  if (error) return html`<span class="error">${error}</span>`;
  if (!choices) return html`<span>Loading environments…</span>`;
  return html`
    <select id="environment" aria-label="Environment" value=${environment}
      onChange=${(e) => onChange(e.target.value)}>
      <option value="">Choose an environment…</option>
      ${choices.map((choice) => html`<option value=${choice.value}>${choice.label}</option>`)}
    </select>`;
}

// Whether the node has ClickHouse analytics (GET /api/v1/analytics), asked once an environment is known.
function useAnalyticsEnabled(who, environment) {
  const [enabled, setEnabled] = useState(false);
  const known = who.type === 'secretKey' || !!environment;
  useEffect(() => {
    setEnabled(false);
    if (!known) return;
    api('/api/v1/analytics').then((found) => setEnabled(!!found.enabled)).catch(() => setEnabled(false));
  }, [known, environment]);
  return enabled;
}

function Header({ who, environment, onEnvironment, onSignOut, path }) {
  const analytics = useAnalyticsEnabled(who, environment);
  const identity = who.type === 'secretKey'
    ? html`<span class="mono" id="identity">${who.environment.projectRef} / ${who.environment.slug}</span>`
    : html`<span id="identity">${who.user.email}</span>`;
  return html`
    <header class="top">
      <${Link} class="brand" href="/runs">Baton<//>
      <nav>
        ${PAGES.map(([href, label]) => html`
          <${Link} href=${href} class=${path.startsWith(href) || (path === '/' && href === '/runs') ? 'active' : ''}>
            ${label}<//>`)}
        ${analytics && html`<${Link} href="/analytics" id="nav-analytics"
          class=${path.startsWith('/analytics') ? 'active' : ''}>Analytics<//>`}
      </nav>
      <div class="who">
        ${who.type === 'personalAccessToken'
          ? html`<${EnvironmentPicker} environment=${environment} onChange=${onEnvironment} />`
          : null}
        ${identity}
        <button id="sign-out" onClick=${onSignOut}>Sign out</button>
      </div>
    </header>`;
}

function App() {
  const location = useLocation();
  const [who, setWho] = useState(undefined);
  const [environment, setEnvironment] = useState(chosenEnvironment());
  const [error, setError] = useState('');

  useEffect(() => {
    api('/dashboard/session', { environment: false })
      .then((found) => setWho(found.signedIn ? found : null))
      .catch((e) => setError(e.message));
  }, []);

  if (error) return html`<main><div class="error">${error}</div></main>`;
  if (who === undefined) return html`<main class="muted">Loading…</main>`;
  if (who === null) {
    return html`<${SignIn} onSignedIn=${(found) => {
      setWho(found);
      if (location.path === '/' || location.path === '/sign-in') navigate('/runs');
    }} />`;
  }

  const onEnvironment = (value) => {
    chooseEnvironment(value);
    setEnvironment(value);
  };
  const onSignOut = async () => {
    await api('/dashboard/session', { method: 'DELETE', environment: false });
    chooseEnvironment('');
    setWho(null);
    navigate('/sign-in');
  };

  let page;
  const path = location.path;
  // The projects page is the management API's: it needs no environment.
  const needsEnvironment = who.type === 'personalAccessToken' && !environment && !path.startsWith('/projects');
  const runMatch = path.match(/^\/runs\/([^/]+)\/?$/);
  const batchMatch = path.match(/^\/batches\/([^/]+)\/?$/);
  const under = (prefix) => path === prefix || path.startsWith(prefix + '/');
  if (needsEnvironment) {
    page = html`<div class="notice">Choose a project's environment at the top to see it.</div>`;
  } else if (under('/analytics')) {
    page = html`<${AnalyticsPage} key=${environment} search=${location.search} />`;
  } else if (under('/queues')) {
    page = html`<${QueuesPage} key=${environment} />`;
  } else if (runMatch) {
    page = html`<${RunPage} key=${environment + runMatch[1]} id=${decodeURIComponent(runMatch[1])} />`;
  } else if (under('/workers')) {
    page = html`<${WorkersPage} key=${environment} />`;
  } else if (under('/schedules')) {
    page = html`<${SchedulesPage} key=${environment} search=${location.search} />`;
  } else if (under('/tokens')) {
    page = html`<${TokensPage} key=${environment} search=${location.search} />`;
  } else if (batchMatch) {
    page = html`<${BatchPage} key=${environment + batchMatch[1]} id=${decodeURIComponent(batchMatch[1])} />`;
  } else if (under('/batches')) {
    page = html`<${BatchesPage} key=${environment} search=${location.search} />`;
  } else if (under('/projects')) {
    page = html`<${ProjectsPage} who=${who} />`;
  } else {
    // A new URL (filters, page) is a new page: its rows, stream and counts start afresh.
    page = html`<${RunsPage} key=${environment + location.search} search=${location.search} />`;
  }
  return html`
    <${Header} who=${who} environment=${environment} onEnvironment=${onEnvironment} onSignOut=${onSignOut}
      path=${location.path} />
    <main>${page}</main>`;
}

// A page brought back from the browser's back-forward cache closed its streams when it was left: read it again.
addEventListener('pageshow', (event) => {
  if (event.persisted) location.reload();
});

render(html`<${App} />`, document.getElementById('app'));
