import type { Browser } from 'puppeteer-core';
import { jwtSettings, operatorToken } from '../support/auth-tokens';
import { launchBrowser, openConsole, signIn, tabTo, type ConsoleTab } from '../support/browser';
import { startTestService, type TestService } from '../support/order-service-harness';

jest.setTimeout(90_000);

/**
 * Moving on while a page still loads, in a real browser. The overview's query is held by a
 * table lock, so it answers only after the operator is on the orders page and typing.
 */
describe('the console when the operator moves on before a page has loaded', () => {
  let service: TestService;
  let browser: Browser;
  let tab: ConsoleTab;

  beforeAll(async () => {
    browser = await launchBrowser();
    service = await startTestService({ ...jwtSettings(), CONSOLE_SUMMARY_MAX_AGE_SECONDS: '0' });
    tab = await openConsole(browser, service.adminUrl);
  });
  afterAll(async () => {
    await service.sql.query('ROLLBACK').catch(() => undefined);
    await browser?.close();
    await service?.stop();
  });

  test('when the overview answers after the operator opened the orders page, then it does not replace that page or the search being typed', async () => {
    const { page } = tab;
    await service.sql.query('BEGIN');
    await service.sql.query('LOCK TABLE orders IN ACCESS EXCLUSIVE MODE');
    await signIn(page, await operatorToken('ops-navigation'));
    const overviewAsked = page.waitForResponse((response) =>
      response.url().endsWith('/console/api/overview'),
    );
    await tabTo(page, 'nav a[href="#/orders"]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#order-search');
    await tabTo(page, '#order-search');
    await page.keyboard.type('half-typed');

    await service.sql.query('COMMIT'); // the overview's query runs and answers now
    await overviewAsked;
    await new Promise((resolve) => setTimeout(resolve, 300)); // its rendering, if it still did

    const shown = await page.$eval('#page', (section) => ({
      headings: [...section.querySelectorAll('h1')].map((h1) => h1.textContent),
      typed: (section.querySelector('#order-search') as { value?: string } | null)?.value,
      focused: section.ownerDocument.activeElement?.id,
    }));
    expect(shown).toEqual({ headings: ['Orders'], typed: 'half-typed', focused: 'order-search' });
  });
});
