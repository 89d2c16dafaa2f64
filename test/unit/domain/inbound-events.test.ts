import { INBOUND_EVENT_PARSERS } from '../../../src/domain/inbound-events';

const reply = (reason: string) => ({
  eventId: 'evt-1',
  orderId: '7f0c3c1e-8c1a-4a1e-9a43-6f3f0c1b2a10',
  occurredAt: 0,
  reason,
});

const reasonOf = (event: ReturnType<typeof INBOUND_EVENT_PARSERS.payment_failed>) =>
  (event.input as { reason: string }).reason;

describe("a peer's refusal reason, shown to customers, is cleaned on the way in", () => {
  test.each([
    ['payment_failed', INBOUND_EVENT_PARSERS.payment_failed],
    ['inventory_reservation_failed', INBOUND_EVENT_PARSERS.inventory_reservation_failed],
  ])(
    'when a %s reason holds controls, bidi overrides or a lone surrogate, then each becomes U+FFFD',
    (_topic, parse) => {
      const dirty = 'card\u001b[2J declined\u202egnp.exe\u2066x\u2069\u200f\u061c\u0085\t\ud800!';
      expect(reasonOf(parse(reply(dirty)))).toBe(
        'card\ufffd[2J declined\ufffdgnp.exe\ufffdx\ufffd\ufffd\ufffd\ufffd\ufffd\ufffd!',
      );
    },
  );

  test('when a reason is plain text, accents and emoji included, then it is kept as sent', () => {
    const text = 'Karte abgelehnt: Café 🙂 — bitte erneut';
    expect(reasonOf(INBOUND_EVENT_PARSERS.payment_failed(reply(text)))).toBe(text);
  });
});
