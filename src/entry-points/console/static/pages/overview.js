// Placeholder until its feature lands: the page module contract is render(container, context).
import { el } from '/console/console.js';

export async function render(container) {
  container.append(el('h1', {}, 'Overview'), el('p', { class: 'muted' }, 'Coming soon.'));
}
