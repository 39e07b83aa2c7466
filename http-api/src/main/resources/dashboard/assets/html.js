// htm bound to Preact: JSX-like templates without a build step.
import { h } from 'preact';
import htm from 'htm';

export const html = htm.bind(h);

// Client-side navigation: every page is a real URL (the node answers index.html for each), links only push.
export function navigate(url) {
  if (url !== location.pathname + location.search) history.pushState(null, '', url);
  dispatchEvent(new Event('baton:navigate'));
}

export function Link({ href, children, ...rest }) {
  const onClick = (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return html`<a href=${href} onClick=${onClick} ...${rest}>${children}</a>`;
}
