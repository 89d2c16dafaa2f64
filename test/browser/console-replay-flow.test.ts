import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'puppeteer-core';
import { jwtSettings, operatorToken } from '../support/auth-tokens';
import {
  launchBrowser,
  openConsole,
  screenshot,
  seriousAxeViolations,
  signIn,
  tabTo,
  tabToControl,
  waitForText,
  type ConsoleTab,
} from '../support/browser';
import { insertPendingOrder, storedStatus } from '../support/console-orders';
import { startTestService, type TestService } from '../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../support/peer-events';
import { story } from '../support/story';
import { waitFor } from '../support/wait-for';

jest.setTimeout(120_000);

const REASON = 'order now exists: replaying the payment';

/**
 * The operator's loop in a real browser, from the keyboard only: a poisoned record (a payment
 * for an order this instance did not know yet) shows in its failure group; a dry run says it
 * would apply; a replay with a reason sends it back; the order reaches CONFIRMED on its journey
 * page; the audit page lists the replay with its reason.
 */
describe('the console replay flow in chromium', () => {
  let service: TestService;
  let peers: PeerEvents;
  let browser: Browser;
  let tab: ConsoleTab;
  let page: Page;
  const orderId = randomUUID();
  let groupKey: string;

  beforeAll(async () => {
    browser = await launchBrowser();
    service = await startTestService({ ...jwtSettings(), CONSOLE_DATABASE_POOL_SIZE: '2' });
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = service.config;
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX);
    await peers.send('payment_successful', {
      orderId,
      paymentId: 'pay-poisoned-1',
      amount: 4_998,
    });
    groupKey = await waitFor(
      async () => {
        const { rows } = await service.sql.query(
          'SELECT group_key FROM dead_letters WHERE order_id = $1',
          [orderId],
        );
        return rows[0]?.group_key as string | undefined;
      },
      { timeoutMs: 30_000, message: 'the payment was not dead-lettered and indexed' },
    );
    // The order arrives afterwards (placed through another instance, say): now a replay applies.
    await insertPendingOrder(service.sql, orderId, 4_998);
    tab = await openConsole(browser, service.adminUrl);
    page = tab.page;
    await signIn(page, await operatorToken('ops-replay'));
  });
  afterAll(async () => {
    await browser?.close();
    await peers?.stop();
    await service?.stop();
  });

  const pageText = () => page.$eval('#page', (p) => p.textContent ?? '');

  // One page in one browser: each step starts where the one before it left the page.
  const step = story(
    'an operator replays a poisoned record from the keyboard: overview, failure group and dry run, replay to CONFIRMED on the journey, the audit, then skips a group with its progress shown',
    240_000,
  );

  step(
    'when the overview is opened, then it shows and has no serious accessibility violation',
    async () => {
      await page.waitForFunction(`['', '#/overview'].includes(location.hash)`);
      await page.waitForSelector('#page h1');
      await screenshot(page, 'overview');
      expect(await seriousAxeViolations(page)).toEqual([]);
    },
  );

  step(
    'when the operator opens the poisoned record’s group from the keyboard, then a dry run says the replay would apply',
    async () => {
      await tabTo(page, 'nav a[href="#/failures"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector(`a[href="#/failures/${groupKey}"]`);
      await screenshot(page, 'failures');
      expect(await seriousAxeViolations(page)).toEqual([]);
      await tabTo(page, `a[href="#/failures/${groupKey}"]`);
      await page.keyboard.press('Enter');
      await waitForText(page, '#page h2', 'Records');
      await tabToControl(page, 'button', 'Dry run the 1 unhandled');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#group-dry-run table');
      const dryRun = await page.$eval('#group-dry-run', (d) => d.textContent ?? '');
      expect(dryRun).toContain('would apply');
      expect(dryRun).toContain(orderId);
      await screenshot(page, 'failure-group');
      expect(await seriousAxeViolations(page)).toEqual([]);
    },
  );

  step(
    'when the operator replays it with a reason, then the order moves on and reaches CONFIRMED on its journey page',
    async () => {
      await tabToControl(page, 'input-of-form-with-button', 'Replay');
      await page.keyboard.type(REASON);
      await page.keyboard.press('Enter');
      await waitForText(page, '#page', 'replayed');
      await waitFor(async () => (await storedStatus(service, orderId)) === 'INVENTORY_RESERVING', {
        timeoutMs: 30_000,
        message: 'the replayed payment was not applied',
      });
      await peers.send('inventory_reserved', { orderId, reservationId: 'res-replayed-1' });
      await waitFor(async () => (await storedStatus(service, orderId)) === 'CONFIRMED', {
        timeoutMs: 30_000,
        message: 'the order was not confirmed',
      });
      await tabTo(page, `a[href="#/orders/${orderId}"]`);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#timeline-title');
      const current = await page.$eval('.saga-diagram .state-current text', (t) => t.textContent);
      expect(current).toBe('CONFIRMED');
      const timeline = await pageText();
      expect(timeline).toContain('dead-lettered from');
      expect(timeline).toContain('operator replay (console)');
      expect(timeline).toContain(REASON);
      await screenshot(page, 'journey-replayed');
      expect(await seriousAxeViolations(page)).toEqual([]);
    },
  );

  step(
    'when the audit page is opened, then the replay is there with its actor and reason',
    async () => {
      await tabTo(page, 'nav a[href="#/audit"]');
      await page.keyboard.press('Enter');
      // The journey page shows the reason too: wait for the audit page's heading, then its rows.
      await page.waitForFunction(`document.querySelector('#page h1')?.textContent === 'Audit'`);
      await waitForText(page, '#page table', REASON);
      const audit = await pageText();
      expect(audit).toContain('ops-replay');
      expect(audit).toContain('replay');
      await screenshot(page, 'audit');
      expect(await seriousAxeViolations(page)).toEqual([]);
    },
  );

  step(
    'when two more payments for unknown orders are dead-lettered and the operator skips their group from the keyboard, then the run shows its progress to 2 of 2 and the group has none unhandled',
    async () => {
      const unknownOrders = [randomUUID(), randomUUID()];
      for (const id of unknownOrders) {
        await peers.send('payment_successful', { orderId: id, paymentId: `pay-${id}`, amount: 1 });
      }
      await waitFor(
        async () =>
          (
            await service.sql.query(
              `SELECT count(*)::int AS n FROM dead_letters WHERE order_id = ANY($1::text[]) AND group_key = $2`,
              [unknownOrders, groupKey],
            )
          ).rows[0].n === 2,
        { timeoutMs: 30_000, message: 'the two payments dead-lettered into the group' },
      );
      await tabTo(page, 'nav a[href="#/failures"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector(`a[href="#/failures/${groupKey}"]`);
      await tabTo(page, `a[href="#/failures/${groupKey}"]`);
      await page.keyboard.press('Enter');
      await waitForText(page, '#page', '2 unhandled of 3');
      // Every state the progress bar shows, before the page refreshes it away.
      await page.evaluate(`(() => {
        window.progressSeen = [];
        new MutationObserver(() => {
          const bar = document.querySelector('#page progress');
          if (bar) window.progressSeen.push(bar.value + ' of ' + bar.max);
        }).observe(document.getElementById('page'), {
          subtree: true, childList: true, attributes: true, characterData: true,
        });
      })()`);
      page.once('dialog', (dialog) => void dialog.accept());
      await tabToControl(page, 'input-of-form-with-button', 'Skip group');
      await page.keyboard.type('test peer noise, ticket 81');
      await page.keyboard.press('Enter');

      await waitForText(page, '#group-notice', 'Skipped 2 of 2.');
      expect(await page.evaluate('window.progressSeen')).toContain('2 of 2');
      await waitForText(page, '#page', '0 unhandled of 3');
      const { rows } = await service.sql.query(
        `SELECT count(*)::int AS n FROM operator_audit WHERE action = 'skip' AND reason = $1`,
        ['test peer noise, ticket 81'],
      );
      expect(rows[0].n).toBe(2);
      expect(await seriousAxeViolations(page)).toEqual([]);
      expect(tab.problems).toEqual([]);
    },
  );
});
