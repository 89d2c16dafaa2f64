// Overview: the figures an operator checks first, each linking to the list behind it. Refreshes
// itself every `refreshSeconds` (15 s) while the page is open.
import { el, errorBox, table, when } from '/console/console.js';

function figure(label, value, link, note) {
  const body = [el('div', { class: 'value' }, String(value)), el('div', {}, label)];
  if (note) body.push(el('div', { class: 'muted' }, note));
  return el('div', { class: 'figure' }, link ? el('a', { href: link }, ...body) : body);
}

function hourChart(perHour) {
  const byHour = new Map();
  for (const { hour, orders } of perHour) {
    byHour.set(hour, (byHour.get(hour) ?? 0) + orders);
  }
  const max = Math.max(1, ...byHour.values());
  return table(
    ['Hour', 'Orders', ''],
    [...byHour].map(([hour, orders]) => [
      new Date(hour).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }),
      String(orders),
      el('span', {
        class: 'bar',
        role: 'img',
        'aria-label': `${orders} orders`,
        'data-width': Math.round((orders / max) * 100),
      }),
    ]),
    'Orders created per hour, last 24 hours',
  );
}

function draw(container, data) {
  const stuck = data.stuckSagas;
  const outbox = data.oldestUnpublishedOutbox;
  const pendingTotal = data.deadLettersPending.reduce((sum, t) => sum + t.pending, 0);
  const lag = Object.values(data.consumer.lagByTopic).reduce((sum, n) => sum + n, 0);
  container.replaceChildren(
    el('h1', {}, 'Overview'),
    el(
      'p',
      { class: 'muted' },
      `As of ${when(data.generatedAt)}; refreshes every ${data.refreshSeconds} s.`,
    ),
    el(
      'div',
      { class: 'figures' },
      figure(
        'stuck sagas',
        stuck.count,
        stuck.link,
        `past their deadline or open > ${stuck.stuckAfterSeconds} s`,
      ),
      figure('dead letters to handle', pendingTotal, '#/failures'),
      figure(
        'oldest unpublished outbox row',
        outbox ? `${outbox.ageSeconds} s` : 'none',
        outbox?.link,
        outbox ? outbox.topic : undefined,
      ),
      figure('relay slots held here', data.relaySlotsHeld.count),
      figure('consumer lag (records)', lag, undefined, `consumer ${data.consumer.state}`),
      figure('Kafka producer breaker', data.breakers.kafkaProducer),
      figure('dead-letter producer breaker', data.breakers.deadLetterProducer),
    ),
    el('h2', {}, 'Orders per status'),
    table(
      ['Status', 'Orders'],
      data.ordersByStatus.map((s) => [el('a', { href: s.link }, s.status), String(s.orders)]),
    ),
    el('h2', {}, 'Orders per hour'),
    hourChart(data.ordersPerHour),
    el('h2', {}, 'Dead letters to handle, per topic'),
    table(
      ['Topic', 'Unhandled'],
      data.deadLettersPending.map((t) => [
        el('a', { href: t.link }, t.originalTopic),
        String(t.pending),
      ]),
    ),
    el('h2', {}, 'Stuck sagas (oldest first)'),
    table(
      ['Order', 'Status', 'Created', 'Step deadline', 'Why'],
      stuck.oldest.map((o) => [
        el('a', { href: o.link }, o.id),
        o.status,
        when(o.createdAt),
        when(o.stepDeadlineAt),
        o.why === 'deadline' ? 'past its step deadline' : 'open too long',
      ]),
    ),
  );
  // Bar widths without inline styles (the CSP allows none): a class per 10 %.
  for (const bar of container.querySelectorAll('.bar')) {
    bar.classList.add(`w${Math.round(Number(bar.dataset.width) / 10) * 10}`);
  }
}

export async function render(container, { api, refreshEvery }) {
  const load = async () => {
    try {
      draw(container, await api('overview'));
    } catch (error) {
      container.replaceChildren(el('h1', {}, 'Overview'), errorBox(error));
    }
  };
  await load();
  refreshEvery(15_000, load);
}
