// Failures: dead letters grouped by cause (#/failures), one group with its records
// (#/failures/<group>): show (payload hidden until revealed, audited), dry run, replay and skip
// with a reason, mark under investigation. Action buttons show for operators only; the server
// checks the role either way.
import { el, errorBox, table, when } from '/console/console.js';

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

/** A small form asking for a reason (or note), then running `act(text)`. */
function reasonForm(label, button, act) {
  const id = `f${Math.random().toString(36).slice(2)}`;
  const input = el('input', { id, type: 'text', required: true, maxlength: 500, size: 40 });
  const status = el('span', { role: 'status' });
  const form = el(
    'form',
    {
      onsubmit: async (event) => {
        event.preventDefault();
        if (!input.value.trim()) return;
        status.textContent = 'working…';
        try {
          status.textContent = await act(input.value.trim());
        } catch (error) {
          status.replaceChildren(errorBox(error));
        }
      },
    },
    el('label', { for: id }, `${label} `),
    input,
    el('button', { type: 'submit' }, button),
    ' ',
    status,
  );
  return form;
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

async function renderGroups(container, { api, query }) {
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
    el(
      'button',
      {
        type: 'button',
        onclick: async (event) => {
          event.target.disabled = true;
          await api('failures/reconcile', { method: 'POST' }).catch(() => undefined);
          event.target.disabled = false;
          await renderGroups(container, { api, query });
        },
      },
      'Read the DLQ topics again (reconcile)',
    ),
  );
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

async function renderGroup(container, context) {
  const { api, params, user } = context;
  const operator = user?.role === 'operator';
  const data = await api(`failures/groups/${params.groupId}`);
  const g = data.group;
  const out = el('div');
  const refresh = () => renderGroup(container, context);
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
        async (reason) => {
          if (g.pending > data.bulkActionLimit)
            throw new Error(`More than ${data.bulkActionLimit} records: use npm run dlq`);
          if (!confirm(`${verb} ${g.pending} dead letters of this group?`)) return 'cancelled';
          const result = await api(`failures/groups/${g.groupKey}/${verb}`, {
            method: 'POST',
            body: { reason, confirmCount: g.pending },
          });
          await refresh();
          return JSON.stringify(result);
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
