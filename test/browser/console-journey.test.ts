import type { Browser } from 'puppeteer-core';
import { story } from '../support/story';
import { bearer, customerToken, jwtSettings, operatorToken } from '../support/auth-tokens';
import {
  launchBrowser,
  openConsole,
  screenshot,
  seriousAxeViolations,
  signIn,
  tabTo,
  tabToControl,
  type ConsoleTab,
} from '../support/browser';
import { placeConfirmedOrder, storedStatus, type ConfirmedOrder } from '../support/console-orders';
import {
  aValidOrder,
  postOrder,
  readJson,
  startTestService,
  type TestService,
} from '../support/order-service-harness';
import { startPeerEvents, type PeerEvents } from '../support/peer-events';

jest.setTimeout(90_000);

/** The journey page in a real browser, driven from the keyboard. */
describe('the console journey page in chromium', () => {
  let service: TestService;
  let peers: PeerEvents;
  let browser: Browser;
  let tab: ConsoleTab;
  let order: ConfirmedOrder;
  let cancelledId = '';

  beforeAll(async () => {
    browser = await launchBrowser();
    service = await startTestService({ ...jwtSettings(), CONSOLE_DATABASE_POOL_SIZE: '2' });
    const { KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX } = service.config;
    peers = await startPeerEvents(KAFKA_BROKERS, SCHEMA_REGISTRY_URL, KAFKA_TOPIC_PREFIX);
    order = await placeConfirmedOrder(service, peers);
    tab = await openConsole(browser, service.adminUrl);
  });
  afterAll(async () => {
    await browser?.close();
    await peers?.stop();
    await service?.stop();
  });

  // One page in one browser: each step starts where the one before it left the page.
  const step = story(
    'an operator finds an order by payment id and opens its journey, cancels a waiting one and finds it in the overview’s list, from the keyboard',
    240_000,
  );

  step(
    'when an operator signs in and searches by payment id from the keyboard, then the order is listed',
    async () => {
      const { page } = tab;
      await screenshot(page, 'sign-in');
      await signIn(page, await operatorToken('ops-browser'));
      await tabTo(page, 'nav a[href="#/orders"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#order-search');
      await tabTo(page, '#order-search');
      await page.keyboard.type(order.paymentId);
      await page.keyboard.press('Enter');
      await page.waitForSelector(`a[href="#/orders/${order.orderId}"]`);
      const row = await page.$eval('#page table tbody', (body) => body.textContent ?? '');
      expect(row).toContain('CONFIRMED');
      expect(row).toContain('payment id');
      await screenshot(page, 'orders');
      expect(await seriousAxeViolations(page)).toEqual([]);
    },
  );

  step(
    'when the order is opened from the keyboard, then its journey shows the timeline and the saga diagram with CONFIRMED current',
    async () => {
      const { page } = tab;
      await tabTo(page, `a[href="#/orders/${order.orderId}"]`);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#timeline-title');
      const current = await page.$eval('.saga-diagram .state-current text', (t) => t.textContent);
      expect(current).toBe('CONFIRMED');
      const passed = await page.$$eval('.saga-diagram .state-visited text', (ts) =>
        ts.map((t) => t.textContent),
      );
      expect(passed.sort()).toEqual(['INVENTORY_RESERVING', 'PENDING', 'new order']);
      const timeline = await page.$eval('#timeline-title + table', (t) => t.textContent ?? '');
      for (const text of [
        'new order → PENDING',
        'PENDING → INVENTORY_RESERVING',
        'INVENTORY_RESERVING → CONFIRMED',
      ]) {
        expect(timeline).toContain(text);
      }
      expect(timeline).toContain('payment deadline armed');
      expect(timeline).toContain('reply consumed from');
      await screenshot(page, 'journey');
      expect(await seriousAxeViolations(page)).toEqual([]);
    },
  );

  step(
    'when an operator opens a waiting order and cancels it from the keyboard with a reason, then its journey shows CANCELLED and offers no cancel',
    async () => {
      const { page } = tab;
      const customer = bearer(await customerToken('customer-cancel'));
      const pending = await readJson(
        await postOrder(service.url, aValidOrder({ customerId: 'customer-cancel' }), customer),
      );
      await tabTo(page, '#order-search');
      await page.keyboard.type(pending.id);
      await page.keyboard.press('Enter');
      await page.waitForSelector(`a[href="#/orders/${pending.id}"]`);
      await tabTo(page, `a[href="#/orders/${pending.id}"]`);
      await page.keyboard.press('Enter');
      await page.waitForSelector('#cancel-title');
      page.once('dialog', (dialog) => void dialog.accept());
      await tabToControl(page, 'input-of-form-with-button', 'Cancel order');
      await page.keyboard.type('customer asked by phone');
      await page.keyboard.press('Enter');

      await page.waitForFunction(
        `document.querySelector('.saga-diagram .state-current text')?.textContent === 'CANCELLED'`,
      );
      expect(await page.$('#cancel-title')).toBeNull();
      expect(await storedStatus(service, pending.id)).toBe('CANCELLED');
      expect(await seriousAxeViolations(page)).toEqual([]);
      cancelledId = pending.id;
    },
  );

  step(
    'when the operator follows the overview’s CANCELLED figure from the keyboard, then the list behind it shows the cancelled order',
    async () => {
      const { page } = tab;
      await tabTo(page, 'nav a[href="#/overview"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector('a[href="#/orders?status=CANCELLED"]');
      await tabTo(page, 'a[href="#/orders?status=CANCELLED"]');
      await page.keyboard.press('Enter');
      await page.waitForSelector('#order-list');
      const list = await page.$eval('#page table tbody', (body) => body.textContent ?? '');
      expect(list).toContain(cancelledId);
      await screenshot(page, 'order-list');
      expect(await seriousAxeViolations(page)).toEqual([]);
      expect(tab.problems).toEqual([]);
    },
  );
});
