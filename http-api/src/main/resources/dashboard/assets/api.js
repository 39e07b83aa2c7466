// Calls the node's APIs with the session cookie. Every call carries x-baton-csrf (which a cross-site form cannot
// send; the node refuses a cookie-authenticated change without it) and, for a personal access token's session,
// x-baton-environment naming the environment picked in the header.
import { useEffect, useState } from 'preact/hooks';

const ENVIRONMENT_KEY = 'baton.environment';

export function chosenEnvironment() {
  return localStorage.getItem(ENVIRONMENT_KEY) || '';
}

export function chooseEnvironment(value) {
  if (value) localStorage.setItem(ENVIRONMENT_KEY, value);
  else localStorage.removeItem(ENVIRONMENT_KEY);
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export async function api(path, { method = 'GET', body, environment = true } = {}) {
  const headers = { 'x-baton-csrf': '1', accept: 'application/json' };
  const named = chosenEnvironment();
  if (environment && named) headers['x-baton-environment'] = named;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch (e) {
    json = null;
  }
  if (!response.ok) {
    throw new ApiError(response.status, (json && json.error) || `${response.status} ${response.statusText}`);
  }
  return json;
}

/**
 * A page's data: {@code read} (async, answering the data) runs when {@code deps} change and on {@code reload()};
 * {@code loading} while it runs, {@code error} the last read's message ('' once a read succeeded).
 */
export function useLoaded(read, deps) {
  const [data, setData] = useState(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const reload = async () => {
    setLoading(true);
    try {
      setData(await read());
      setError('');
    } catch (e) {
      setError(e.message);
    } finally {
      setLoading(false);
    }
  };
  useEffect(() => {
    reload();
  }, deps);
  return { data, setData, loading, error, reload };
}
