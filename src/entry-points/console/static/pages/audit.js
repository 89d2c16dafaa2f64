// Audit: operator_audit, newest first, filtered by actor, action, target (or its start) and time.
// Filters live in the hash (#/audit?actor=…), so a filtered view can be shared as a link.
import { el, errorBox, navigate, table, when } from '/console/console.js';

const ACTIONS = ['', 'replay', 'skip', 'cancel', 'reveal', 'mark', 'unmark'];

function filterForm(query) {
  const field = (name, label, attributes = {}) => {
    const id = `audit-${name}`;
    return [
      el('label', { for: id }, label),
      el('input', { id, name, value: query[name] ?? '', ...attributes }),
    ];
  };
  const action = el(
    'select',
    { id: 'audit-action', name: 'action' },
    ACTIONS.map((a) =>
      el('option', { value: a, selected: (query.action ?? '') === a }, a || 'any'),
    ),
  );
  return el(
    'form',
    {
      class: 'filters',
      onsubmit: (event) => {
        event.preventDefault();
        const data = new FormData(event.target);
        const params = new URLSearchParams();
        for (const [name, value] of data)
          if (String(value).trim()) params.set(name, String(value).trim());
        navigate(`#/audit?${params}`);
      },
    },
    field('actor', 'Actor'),
    el('label', { for: 'audit-action' }, 'Action'),
    action,
    field('target', 'Target (or its start)', { size: 30 }),
    field('from', 'From', { type: 'datetime-local' }),
    field('to', 'To', { type: 'datetime-local' }),
    el('button', { type: 'submit' }, 'Filter'),
  );
}

export async function render(container, { api, query }) {
  const params = new URLSearchParams();
  for (const name of ['actor', 'action', 'target', 'before'])
    if (query[name]) params.set(name, query[name]);
  for (const name of ['from', 'to'])
    if (query[name]) params.set(name, new Date(query[name]).toISOString());
  container.replaceChildren(el('h1', {}, 'Audit'), filterForm(query));
  try {
    const { rows, next } = await api(`audit?${params}`);
    container.append(
      table(
        ['When', 'Actor', 'Role', 'Via', 'Action', 'Target', 'Reason', 'Result'],
        rows.map((r) => [
          when(r.at),
          r.actor,
          r.role,
          r.via,
          r.action,
          r.target.startsWith('order:')
            ? el('a', { href: `#/orders/${r.target.slice(6)}` }, r.target)
            : r.target,
          r.reason,
          r.result,
        ]),
        'Every operator action, newest first (append-only)',
      ),
    );
    if (next) {
      const more = new URLSearchParams(query);
      more.set('before', next.split('=')[1]);
      container.append(el('a', { href: `#/audit?${more}` }, 'Older rows →'));
    }
  } catch (error) {
    container.append(errorBox(error));
  }
}
