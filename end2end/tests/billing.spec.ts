import { expect, test } from '@playwright/test';
import { activeReseller, adminApi, open, placeOrder, signInClient, signInOperator, unique } from './fixtures';

test('the operator records a payment and the reseller sees the new balance', async ({ browser, page, request }) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Billing');
  await signInOperator(page);
  await open(page, `/admin/resellers/${shop.reseller}/account`);
  await expect(page.getByTestId('balance')).toHaveText('0.00 EUR');
  const form = page.getByRole('region', { name: 'Record payment' });
  await form.getByLabel('Amount').fill('125.50');
  await form.getByLabel('Reference').fill(`INV-${id}`);
  await form.getByRole('button', { name: 'Record payment' }).click();
  await expect(form.getByRole('status')).toHaveText('Payment recorded.');
  await expect(page.getByTestId('balance')).toHaveText('125.50 EUR');
  await expect(page.getByRole('table', { name: 'Account entries' })).toContainText(`Payment, ref. INV-${id}`);
  // A bad amount is explained and records nothing.
  await form.getByLabel('Amount').fill('1e3');
  await form.getByLabel('Reference').fill('bad');
  await form.getByRole('button', { name: 'Record payment' }).click();
  await expect(form.getByRole('alert')).toContainText('plain decimal');
  await expect(page.getByTestId('balance')).toHaveText('125.50 EUR');

  // The reseller's Billing page shows it.
  const context = await browser.newContext();
  const portal = await context.newPage();
  await signInClient(portal, shop.email);
  await portal.getByRole('link', { name: 'Billing', exact: true }).click();
  await expect(portal.getByRole('heading', { level: 1, name: 'Billing' })).toBeVisible();
  await expect(portal.getByTestId('balance')).toHaveText('125.50 EUR');
  await expect(portal.getByTestId('credit-limit')).toHaveText('No limit (billed in arrears)');
  await expect(portal.getByRole('table', { name: 'Account entries' })).toContainText(`INV-${id}`);
  // The month's statement, printable, with the same figures.
  await portal.getByRole('link', { name: 'View and print' }).first().click();
  await expect(portal.getByRole('heading', { level: 1, name: /^Statement, / })).toBeVisible();
  await expect(portal.getByTestId('closing-balance')).toHaveText('125.50 EUR');
  const month = portal.url().split('/').pop();
  const csv = await context.request.get(`/portal/billing/statement.csv?month=${month}`);
  expect(csv.status()).toBe(200);
  expect(await csv.text()).toContain(`Payment, ref. INV-${id}`);
  await context.close();
});

test('a prepaid reseller without funds sees the refusal explained on its Orders page', async ({ browser, page, request }) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Billing');
  await adminApi(request, 'PATCH', `/resellers/${shop.reseller}`, { credit_limit: '0.00' });
  await signInClient(page, shop.email);
  await open(page, '/portal/orders');
  const form = page.locator('form[aria-labelledby="place-order"]');
  await form.getByLabel('Product and term').selectOption({ label: `E2E Billing VPS ${id}, Monthly: 7.00 EUR` });
  await form.getByLabel('Customer (your external id)').fill(`cust-${id}`);
  await form.getByRole('button', { name: 'Place order' }).click();
  const refusal = page.getByRole('alert');
  await expect(refusal).toContainText('This costs 7.00 and the account has 0.00 available');
  await expect(refusal).toHaveAttribute('data-code', 'insufficient_funds');
  // Funds arrive; the same order goes through and is charged.
  await adminApi(request, 'POST', `/resellers/${shop.reseller}/payments`, { amount: '10.00', reference: `top-up ${id}` });
  await form.getByRole('button', { name: 'Place order' }).click();
  await expect(page.getByRole('status')).toContainText('7.00 charged to your account');
  await open(page, '/portal/billing');
  await expect(page.getByTestId('balance')).toHaveText('3.00 EUR');
  await expect(page.getByTestId('available')).toHaveText('3.00 EUR');
});

test('the Dashboard and Billing charts render, with their numbers as a table', async ({ browser, page, request }) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Billing');
  const order = await placeOrder(request, shop.key, shop.secret, {
    customer: { external_id: `chart-${id}` },
    lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 2 }],
  });
  expect(order.status()).toBe(201);
  await signInClient(page, shop.email);

  const orders = page.getByTestId('orders-chart');
  await expect(orders.getByRole('img', { name: 'Orders and wholesale spend per day (30 days)' })).toBeVisible();
  await expect(orders.locator('rect').first()).toBeAttached();
  await expect(orders).toContainText('1 order and 14.00 EUR wholesale spend in the last 30 days.');
  await orders.getByText('The numbers as a table').click();
  const table = orders.getByRole('table', { name: 'Orders and wholesale spend per day (30 days)' });
  await expect(table.getByRole('row')).toHaveCount(31);
  await expect(table.getByRole('row').last()).toContainText('14.00 EUR');
  const api = page.getByTestId('api-chart');
  await expect(api.getByRole('img', { name: /API requests and errors per hour/ })).toBeVisible();
  await expect(api).toContainText('API requests');

  await open(page, '/portal/billing');
  const chart = page.getByTestId('balance-chart');
  await expect(chart.getByRole('img', { name: 'Balance over the last 90 days' })).toBeVisible();
  await expect(chart.locator('polyline')).toBeAttached();
  await chart.getByText('The numbers as a table').click();
  await expect(chart.getByRole('table').getByRole('row').last()).toContainText('-14.00 EUR');
});

test("the statement's Print button opens the browser's print dialog (no inline script: the CSP allows none)", async ({
  browser,
  request,
}) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Billing');
  await adminApi(request, 'POST', `/resellers/${shop.reseller}/payments`, { amount: '5.00', reference: `print-${id}` });
  const context = await browser.newContext();
  // The print dialog would block a headless browser: count the calls instead.
  await context.addInitScript(() => {
    (window as unknown as { printed: number }).printed = 0;
    window.print = () => {
      (window as unknown as { printed: number }).printed += 1;
    };
  });
  const page = await context.newPage();
  const blocked: string[] = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) blocked.push(message.text());
  });
  await signInClient(page, shop.email);
  await open(page, '/portal/billing');
  await page.getByRole('link', { name: 'View and print' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: /^Statement, / })).toBeVisible();
  await page.getByRole('button', { name: 'Print' }).click();
  await expect.poll(() => page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
  // A reload (server-rendered, then hydrated) prints too.
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('button', { name: 'Print' }).click();
  await expect.poll(() => page.evaluate(() => (window as unknown as { printed: number }).printed)).toBe(1);
  expect(blocked).toEqual([]);
  await context.close();
});
