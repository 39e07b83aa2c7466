// Filter fields more than one page's form has.
import { useState } from 'preact/hooks';
import { html, navigate } from './html.js';
import { fromLocalInput, toLocalInput } from './format.js';

const PERIODS = ['', '30m', '1h', '6h', '1d', '7d', '30d'];

/**
 * "Created within" a period, or "from" / "to" two times in the viewer's zone: the form's period, from and to
 * (from and to kept as ISO instants, as the API and the page's URL take them).
 */
export function CreatedWindowFields({ form, setForm }) {
  return html`
    <label>Created within
      <select name="period" value=${form.period} onChange=${(e) => setForm({ ...form, period: e.target.value })}>
        ${PERIODS.map((p) => html`<option value=${p}>${p || 'any time'}</option>`)}
      </select>
    </label>
    <label>Created from
      <input type="datetime-local" name="from" value=${toLocalInput(form.from)}
        onInput=${(e) => setForm({ ...form, from: fromLocalInput(e.target.value) })} />
    </label>
    <label>Created to
      <input type="datetime-local" name="to" value=${toLocalInput(form.to)}
        onInput=${(e) => setForm({ ...form, to: fromLocalInput(e.target.value) })} />
    </label>`;
}

/**
 * A filter form kept in the page's URL: its fields start from the URL's parameters ({@code names}), and applying it
 * opens {@code path} with the fields that are set — without the page cursors, so a new filter starts again from the
 * newest page.
 */
export function useFilterForm(params, names, path) {
  const [form, setForm] = useState(() => Object.fromEntries(names.map((name) => [name, params.get(name) || ''])));
  const field = (name) => (event) => setForm({ ...form, [name]: event.target.value });
  const apply = (event) => {
    event.preventDefault();
    const query = new URLSearchParams();
    for (const [name, value] of Object.entries(form)) if (value.trim()) query.set(name, value.trim());
    navigate(path + (query.toString() ? '?' + query : ''));
  };
  return { form, setForm, field, apply };
}
