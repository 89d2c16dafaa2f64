// Orders: search by any of an order's keys, and one order's journey (timeline, saga diagram
// with the current state and the steps left, trace link). An operator may cancel an order that
// can still be cancelled, with a reason; everything else is read-only.
import { el, errorBox, reasonForm, table, when } from '/console/console.js';

const SVG = 'http://www.w3.org/2000/svg';
const BOX = { width: 170, height: 34, columnGap: 70, rowGap: 22, margin: 12 };

export async function render(container, context) {
  const { params, query, api, navigate, user } = context;
  ensureStylesheet();
  container.append(el('h1', {}, params.orderId ? 'Order journey' : 'Orders'));
  container.append(searchForm(query.q ?? '', navigate));
  try {
    if (params.orderId) {
      const journey = await api(`orders/${encodeURIComponent(params.orderId)}/journey`);
      container.append(...journeyView(journey));
      if (journey.cancellable && user?.role === 'operator') {
        container.append(cancelForm(journey.order, container, context));
      }
    } else if (query.q) {
      const found = await api(`orders/search?q=${encodeURIComponent(query.q)}`);
      container.append(searchResults(found));
    } else if (query.status || query.stuck) {
      const listed = new URLSearchParams(
        Object.entries(query).filter(([k]) => ['status', 'after', 'stuck', 'offset'].includes(k)),
      );
      container.append(orderList(await api(`orders?${listed}`)));
    }
  } catch (error) {
    container.append(errorBox(error));
  }
}

function ensureStylesheet() {
  if (document.querySelector('link[data-page="journey"]')) return;
  document.head.append(
    el('link', { rel: 'stylesheet', href: '/console/pages/journey.css', 'data-page': 'journey' }),
  );
}

function searchForm(value, navigate) {
  const input = el('input', {
    id: 'order-search',
    name: 'q',
    type: 'search',
    value,
    required: true,
    autocomplete: 'off',
    spellcheck: 'false',
  });
  const form = el(
    'form',
    { class: 'search', role: 'search' },
    el('label', { for: 'order-search' }, 'Order, customer, event, payment or reservation id'),
    input,
    el('button', { type: 'submit' }, 'Search'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = input.value.trim();
    if (q) navigate(`#/orders?q=${encodeURIComponent(q)}`);
  });
  return form;
}

function searchResults({ query, orders }) {
  const rows = orders.map((o) => [
    el('a', { href: `#/orders/${o.orderId}` }, o.orderId),
    o.customerId,
    el('span', { class: `status status-${o.status}` }, o.status),
    when(o.createdAt),
    o.matchedBy.join(', '),
  ]);
  return el(
    'section',
    { 'aria-labelledby': 'search-results' },
    el('h2', { id: 'search-results' }, `${orders.length} order(s) for “${query}”`),
    table(['order', 'customer', 'status', 'placed', 'matched by'], rows),
  );
}

/** The orders behind an overview figure: one status (newest first) or the stuck sagas (oldest first). */
function orderList(page) {
  const title =
    page.list === 'stuck'
      ? `${page.count} stuck saga(s): past their step deadline or open > ${page.stuckAfterSeconds} s, oldest first`
      : `Orders ${page.status}, newest first`;
  const rows = page.orders.map((o) => [
    el('a', { href: `#/orders/${o.orderId}` }, o.orderId),
    el('span', { class: `status status-${o.status}` }, o.status),
    when(o.createdAt),
    o.stepDeadlineAt ? when(o.stepDeadlineAt) : '',
  ]);
  return el(
    'section',
    { 'aria-labelledby': 'order-list' },
    el('h2', { id: 'order-list' }, title),
    table(['order', 'status', 'placed', 'step deadline'], rows),
    page.next ? el('p', {}, el('a', { href: `#/orders?${page.next}` }, 'Next page')) : null,
  );
}

function journeyView({ order, timeline, diagram, traceUrl, missing }) {
  const facts = [
    ['Order', order.id],
    ['Customer', order.customerId],
    ['Status', el('span', { class: `status status-${order.status}` }, order.status)],
    [
      'Total',
      `${formatMinor(order.totalAmount)} ${order.currency} (minor units: ${order.totalAmount})`,
    ],
    ['Placed', when(order.createdAt)],
    ['Last change', when(order.updatedAt)],
    ['Step deadline', order.stepDeadlineAt ? when(order.stepDeadlineAt) : 'none armed'],
    ['Payment', order.paymentId ?? ''],
    ['Reservation', order.reservationId ?? ''],
    ['Failure reason', order.failureReason ?? ''],
    [
      'Trace',
      traceUrl ? el('a', { href: traceUrl, rel: 'noreferrer' }, 'Open the trace') : 'no link',
    ],
  ];
  return [
    el(
      'dl',
      { class: 'facts' },
      facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]),
    ),
    sagaSection(diagram, timeline),
    timelineSection(timeline),
    missing.length > 0 ? el('p', { class: 'muted' }, `Not shown: ${missing.join('; ')}.`) : null,
  ].filter(Boolean);
}

/** Minor units as a decimal amount, assuming two decimals (display only; the API stays integer). */
function formatMinor(minor) {
  const value = BigInt(minor);
  const sign = value < 0n ? '-' : '';
  const abs = value < 0n ? -value : value;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}

function sagaSection(diagram, timeline) {
  const { current, remaining } = diagram;
  const next = remaining.next.map((edge) =>
    el('li', {}, `${edge.triggers.join(' or ')} → ${edge.to}`),
  );
  const path =
    remaining.toConfirmed.length > 1
      ? remaining.toConfirmed
          .slice(1)
          .map((state, i) => `${remaining.toConfirmedTriggers[i]} → ${state}`)
          .join(', then ')
      : null;
  return el(
    'section',
    { 'aria-labelledby': 'saga-title' },
    el('h2', { id: 'saga-title' }, 'Saga'),
    el(
      'p',
      {},
      `Now ${current}. `,
      remaining.next.length === 0 ? 'Nothing is left: the saga has ended.' : 'Open moves:',
    ),
    next.length > 0 ? el('ul', { class: 'next-steps' }, next) : null,
    path ? el('p', {}, `To CONFIRMED: ${path}.`) : null,
    sagaDiagram(diagram, takenEdges(timeline)),
  );
}

function takenEdges(timeline) {
  return new Set(timeline.filter((e) => e.kind === 'transition').map((e) => `${e.from}->${e.to}`));
}

/** The diagram as SVG built with DOM calls (no inline markup or style: the CSP forbids both). */
function sagaDiagram({ nodes, edges, current, visited, remaining }, taken) {
  const position = new Map(
    nodes.map((n) => [
      n.state,
      {
        x: BOX.margin + n.column * (BOX.width + BOX.columnGap),
        y: BOX.margin + n.row * (BOX.height + BOX.rowGap),
      },
    ]),
  );
  const columns = Math.max(...nodes.map((n) => n.column)) + 1;
  const rows = Math.max(...nodes.map((n) => n.row)) + 1;
  const width = BOX.margin * 2 + columns * BOX.width + (columns - 1) * BOX.columnGap;
  const height = BOX.margin * 2 + rows * BOX.height + (rows - 1) * BOX.rowGap;
  const svg = svgNode('svg', {
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-labelledby': 'saga-diagram-title',
    class: 'saga-diagram',
  });
  const title = svgNode('title', { id: 'saga-diagram-title' });
  title.textContent = `Saga diagram: now ${current}; reachable from here: ${remaining.reachable.join(', ') || 'none'}`;
  svg.append(title, arrowMarker());
  const reachable = new Set(remaining.reachable);
  for (const edge of edges) {
    const from = position.get(edge.from);
    const to = position.get(edge.to);
    const kind = taken.has(`${edge.from}->${edge.to}`)
      ? 'taken'
      : edge.from === current || (reachable.has(edge.from) && reachable.has(edge.to))
        ? 'remaining'
        : 'other';
    const line = svgNode('path', {
      d: edgePath(from, to),
      class: `edge edge-${kind}`,
      fill: 'none',
      'marker-end': 'url(#arrow)',
    });
    const tip = svgNode('title');
    tip.textContent = `${edge.from} → ${edge.to}: ${edge.triggers.join(', ')}`;
    line.append(tip);
    svg.append(line);
  }
  for (const node of nodes) {
    const { x, y } = position.get(node.state);
    const kind =
      node.state === current
        ? 'current'
        : visited.includes(node.state)
          ? 'visited'
          : reachable.has(node.state)
            ? 'remaining'
            : 'other';
    const group = svgNode('g', { class: `state state-${kind}` });
    group.append(
      svgNode('rect', { x, y, width: BOX.width, height: BOX.height, rx: 6 }),
      textNode(
        x + BOX.width / 2,
        y + BOX.height / 2 + 5,
        node.state === 'NEW' ? 'new order' : node.state,
      ),
    );
    svg.append(group);
  }
  return el(
    'figure',
    {},
    svg,
    el(
      'figcaption',
      { class: 'muted' },
      'Bold: the current state. Filled: states passed. Dashed: still reachable. Hover an arrow for its triggers.',
    ),
  );
}

/**
 * Forward arrows run right side to left side; arrows within a column bend out to its right so
 * they pass no box; arrows back to an earlier column run left side to right side.
 */
function edgePath(from, to) {
  const fromY = from.y + BOX.height / 2;
  const toY = to.y + BOX.height / 2;
  if (to.x > from.x) return `M ${from.x + BOX.width} ${fromY} L ${to.x} ${toY}`;
  if (to.x < from.x) return `M ${from.x} ${fromY} L ${to.x + BOX.width} ${toY}`;
  const right = from.x + BOX.width;
  const bend = right + BOX.columnGap / 2;
  return `M ${right} ${fromY} C ${bend} ${fromY}, ${bend} ${toY}, ${right} ${toY}`;
}

function arrowMarker() {
  const defs = svgNode('defs');
  const marker = svgNode('marker', {
    id: 'arrow',
    viewBox: '0 0 10 10',
    refX: 10,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse',
  });
  marker.append(svgNode('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }));
  defs.append(marker);
  return defs;
}

function svgNode(tag, attributes = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function textNode(x, y, text) {
  const node = svgNode('text', { x, y, 'text-anchor': 'middle' });
  node.textContent = text;
  return node;
}

const DESCRIBE = {
  transition: (e) => [
    `${e.from === 'NEW' ? 'new order' : e.from} → ${e.to}`,
    [
      e.reason ?? '',
      e.causingTopic ? ` (reply on ${e.causingTopic}, event ${e.causingEventId})` : '',
    ].join(''),
  ],
  'event-owed': (e) => [
    `event owed on ${e.topic}`,
    e.publishedAt
      ? `published ${when(e.publishedAt)}; event ${e.eventId}`
      : `NOT PUBLISHED yet (${e.attempts} attempt(s)${e.lastError ? `, last error: ${e.lastError}` : ''}); event ${e.eventId}`,
  ],
  'reply-consumed': (e) => [`reply consumed from ${e.topic}`, `${e.outcome}; event ${e.eventId}`],
  effect: (e) => [
    `${e.effect} reported`,
    `${e.reference}${e.amount !== null ? `: ${e.amount} ${e.currency} (minor units)` : ''}`,
  ],
  'deadline-armed': (e) => [
    `${e.step} deadline armed`,
    e.dueAt ? `due ${when(e.dueAt)}` : 'due time not stored for past deadlines',
  ],
  'deadline-fired': (e) => [`${e.step} deadline fired`, 'the sweeper moved the order on'],
  'dead-letter': (e) => [
    `dead-lettered from ${e.sourceTopic}`,
    el(
      'span',
      {},
      `${e.errorClass}: ${e.message} (${e.dlqTopic}/${e.partition}/${e.offset}; ${e.handled ?? 'not handled'}) `,
      el('a', { href: `#/failures/${e.groupKey}` }, 'its failure group'),
    ),
  ],
  'operator-action': (e) => [
    `operator ${e.action} (${e.via})`,
    `${e.actor} as ${e.role}: “${e.reason}” → ${e.result}`,
  ],
};

function timelineSection(timeline) {
  const rows = timeline.map((entry) => {
    const [what, detail] = DESCRIBE[entry.kind](entry);
    return [
      el('time', { datetime: entry.at }, when(entry.at)),
      el('span', { class: `kind kind-${entry.kind}` }, what),
      detail,
    ];
  });
  return el(
    'section',
    { 'aria-labelledby': 'timeline-title' },
    el('h2', { id: 'timeline-title' }, `Timeline (${timeline.length})`),
    table(['when', 'what', 'detail'], rows),
  );
}

/** Cancels through the API's own rules: the compensation owed goes out with it, and it is audited. */
function cancelForm(order, container, context) {
  return el(
    'section',
    { 'aria-labelledby': 'cancel-title' },
    el('h2', { id: 'cancel-title' }, 'Cancel the order'),
    reasonForm('Reason to cancel', 'Cancel order', async (reason) => {
      if (!confirm(`Cancel order ${order.id}? A payment taken is refunded.`))
        return 'not cancelled';
      await context.api(`orders/${encodeURIComponent(order.id)}/cancel`, {
        method: 'POST',
        body: { reason },
      });
      container.replaceChildren();
      await render(container, context);
      return 'cancelled';
    }),
  );
}
