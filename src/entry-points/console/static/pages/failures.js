// Failures: dead letters grouped by cause (#/failures), one group with its records
// (#/failures/<group>): show (payload hidden until revealed, audited), dry run, replay and skip
// with a reason, mark under investigation. Action buttons show for operators only; the server
// checks the role either way.
import { apiWithProgress, el, errorBox, reasonForm, table, when } from '/console/console.js';

const VERDICTS = {
  'would-apply': 'would apply',
  duplicate: 'ignored as a duplicate',
  'order-unknown': 'order unknown',
  'does-not-decode': 'does not decode with today’s schema',
  'not-replayable': 'cannot be replayed here',
  'already-handled': 'already handled',
};

const recordPath = (r) =>
  `failures/records/${encodeURIComponent(r.dlqTopic)}/${r.dlqPartition}/${r.dlqOffset}`;

function markText(mark) {
  return mark
    ? el(
        'span',
        { class: 'badge' },
        `under investigation by ${mark.markedBy} since ${when(mark.markedAt)}: ${mark.note}`,
      )
    : null;
}

function dryRunTable(lines) {
  return table(
    ['Record', 'Order', 'Event', 'Order status', 'A replay would'],
    lines.map((l) => [
      `${l.dlqPartition}/${l.dlqOffset}`,
      l.orderId ?? '',
      l.eventId ?? '',
      l.orderStatus ?? 'unknown',
      `${VERDICTS[l.verdict] ?? l.verdict}${l.decodeError ? ` (${l.decodeError})` : ''}`,
    ]),
    'Dry run: nothing was sent or marked',
  );
}

async function renderGroups(container, context) {
  const { api, query, user } = context;
  const status = query.status === 'all' ? 'all' : 'pending';
  const { groups } = await api(`failures/groups?status=${status}`);
  const shown = query.topic ? groups.filter((g) => g.originalTopic === query.topic) : groups;
  container.replaceChildren(
    el('h1', {}, 'Failures'),
    el(
      'p',
      {},
      status === 'all'
        ? el('a', { href: '#/failures' }, 'Show only groups with unhandled dead letters')
        : el('a', { href: '#/failures?status=all' }, 'Show handled groups too'),
      query.topic ? ` · topic ${query.topic} (` : '',
      query.topic ? el('a', { href: '#/failures' }, 'all topics') : '',
      query.topic ? ')' : '',
    ),
    table(
      ['Group', 'Topic', 'Error', 'Unhandled / all', 'Orders', 'First seen', 'Last seen'],
      shown.map((g) => [
        el('a', { href: `#/failures/${g.groupKey}` }, g.errorPattern || g.errorClass),
        g.originalTopic,
        [g.errorClass, markText(g.mark)],
        `${g.pending} / ${g.total}`,
        String(g.orders),
        when(g.firstSeen),
        when(g.lastSeen),
      ]),
      'Dead letters grouped by topic, error class and message (ids and numbers masked)',
    ),
    // Reconciling writes index rows: an operator's action, as the server checks too.
    user?.role === 'operator' ? reconcileButton(container, context) : null,
  );
}

function reconcileButton(container, context) {
  const status = el('span', { role: 'status' });
  const button = el(
    'button',
    {
      type: 'button',
      onclick: async () => {
        button.disabled = true;
        status.textContent = 'reading the DLQ topics…';
        try {
          const result = await context.api('failures/reconcile', { method: 'POST' });
          await renderGroups(container, context);
          return result;
        } catch (error) {
          button.disabled = false;
          status.replaceChildren(errorBox(error));
        }
      },
    },
    'Read the DLQ topics again (reconcile)',
  );
  return el('p', {}, button, ' ', status);
}

function recordDetails(api, record) {
  const box = el('div', { class: 'record' });
  const headers = Object.entries(record.headers).map(([k, v]) => [
    k,
    Array.isArray(v) ? v.join(', ') : v,
  ]);
  box.append(
    table(
      ['Header', 'Value'],
      headers,
      `Record ${record.dlqTopic} ${record.dlqPartition}/${record.dlqOffset}`,
    ),
    el(
      'p',
      { class: 'muted' },
      `Payload hidden (${record.valueBytes} bytes). Revealing it is recorded in the audit.`,
    ),
    reasonForm('Why reveal it?', 'Reveal payload', async (reason) => {
      const payload = await api(`${recordPath(record)}/reveal`, {
        method: 'POST',
        body: { reason },
      });
      box.append(
        el('h4', {}, 'Decoded'),
        el(
          'pre',
          {},
          payload.decoded
            ? JSON.stringify(payload.decoded, null, 2)
            : `does not decode: ${payload.decodeError}`,
        ),
        el('h4', {}, `Raw value (hex${payload.valueHexTruncated ? ', first 16 KiB' : ''})`),
        el('pre', {}, payload.valueHex ?? '(not held by the index)'),
      );
      return 'revealed';
    }),
  );
  return box;
}

async function renderGroup(container, context, notice) {
  const { api, params, user } = context;
  const operator = user?.role === 'operator';
  const data = await api(`failures/groups/${params.groupId}`);
  const g = data.group;
  const out = el('div');
  // A bulk action's outcome stays on the page it refreshes.
  const refresh = (outcome) => renderGroup(container, context, outcome);
  const recordRows = data.records.map((r) => {
    const actions = el('div');
    actions.append(
      el(
        'button',
        {
          type: 'button',
          onclick: async () => actions.append(recordDetails(api, await api(recordPath(r)))),
        },
        'Show',
      ),
      el(
        'button',
        {
          type: 'button',
          onclick: async () =>
            actions.append(
              dryRunTable((await api(`${recordPath(r)}/dry-run`, { method: 'POST' })).lines),
            ),
        },
        'Dry run',
      ),
    );
    if (operator && !r.handled) {
      actions.append(
        reasonForm('Reason', 'Replay', async (reason) => {
          await api(`${recordPath(r)}/replay`, { method: 'POST', body: { reason } });
          await refresh();
          return 'replayed';
        }),
        reasonForm('Reason', 'Skip', async (reason) => {
          await api(`${recordPath(r)}/skip`, { method: 'POST', body: { reason } });
          await refresh();
          return 'skipped';
        }),
      );
    }
    if (operator) {
      actions.append(
        r.mark
          ? reasonForm('Reason', 'Unmark', async (reason) => {
              await api(`${recordPath(r)}/unmark`, { method: 'POST', body: { reason } });
              await refresh();
              return 'unmarked';
            })
          : reasonForm('Note', 'Mark under investigation', async (note) => {
              await api(`${recordPath(r)}/mark`, { method: 'POST', body: { note } });
              await refresh();
              return 'marked';
            }),
      );
    }
    return [
      `${r.dlqPartition}/${r.dlqOffset}`,
      r.orderId ? el('a', { href: `#/orders/${r.orderId}` }, r.orderId) : '',
      when(r.deadLetteredAt),
      r.handled ? `${r.handled.action} ${when(r.handled.at)}` : 'unhandled',
      [markText(r.mark), actions],
    ];
  });
  out.append(
    el('p', {}, el('a', { href: '#/failures' }, '← all groups')),
    notice ? el('p', { id: 'group-notice', role: 'status' }, notice) : null,
    el('h1', {}, `${g.originalTopic}: ${g.errorClass}`),
    el('p', {}, g.errorPattern),
    el('p', { class: 'muted' }, `Example: ${g.exampleMessage}`),
    el(
      'p',
      {},
      `${g.pending} unhandled of ${g.total}; ${g.orders} orders; first ${when(g.firstSeen)}, last ${when(g.lastSeen)}. `,
      markText(g.mark),
    ),
    el('div', { id: 'group-dry-run' }),
    el(
      'button',
      {
        type: 'button',
        onclick: async () => {
          const { lines } = await api(`failures/groups/${g.groupKey}/dry-run`, { method: 'POST' });
          container.querySelector('#group-dry-run').replaceChildren(dryRunTable(lines));
        },
      },
      `Dry run the ${g.pending} unhandled`,
    ),
  );
  if (operator) {
    const bulk = (verb) =>
      reasonForm(
        `Reason to ${verb} all ${g.pending}`,
        `${verb[0].toUpperCase()}${verb.slice(1)} group`,
        async (reason, status) => {
          if (g.pending > data.bulkActionLimit)
            throw new Error(`More than ${data.bulkActionLimit} records: use npm run dlq`);
          if (!confirm(`${verb} ${g.pending} dead letters of this group?`)) return 'cancelled';
          const bar = el('progress', {
            max: g.pending,
            value: 0,
            'aria-label': `${verb} progress`,
          });
          const count = el('span', {}, ` 0 of ${g.pending}`);
          status.replaceChildren(bar, count);
          const reached = { done: 0, total: g.pending };
          const result = await apiWithProgress(
            `failures/groups/${g.groupKey}/${verb}`,
            { reason, confirmCount: g.pending },
            (done, total) => {
              Object.assign(reached, { done, total });
              bar.max = total;
              bar.value = done;
              count.textContent = ` ${done} of ${total}`;
            },
          );
          // The result's own count: a plain JSON answer (an older instance) has no progress lines.
          const done = result?.replayed ?? result?.skipped ?? reached.done;
          const outcome = `${verb === 'replay' ? 'Replayed' : 'Skipped'} ${done} of ${reached.total}.`;
          await refresh(outcome);
          return outcome;
        },
      );
    out.append(
      bulk('replay'),
      bulk('skip'),
      g.mark
        ? reasonForm('Reason', 'Unmark group', async (reason) => {
            await api(`failures/groups/${g.groupKey}/unmark`, { method: 'POST', body: { reason } });
            await refresh();
            return 'unmarked';
          })
        : reasonForm('Note', 'Mark group under investigation', async (note) => {
            await api(`failures/groups/${g.groupKey}/mark`, { method: 'POST', body: { note } });
            await refresh();
            return 'marked';
          }),
    );
  }
  out.append(
    el('h2', {}, 'Records'),
    table(
      ['Record', 'Order', 'Dead-lettered', 'State', ''],
      recordRows,
      'Oldest first; payloads hidden',
    ),
  );
  container.replaceChildren(out);
}

export async function render(container, context) {
  try {
    if (context.params.groupId) await renderGroup(container, context);
    else await renderGroups(container, context);
  } catch (error) {
    container.replaceChildren(el('h1', {}, 'Failures'), errorBox(error));
  }
}
