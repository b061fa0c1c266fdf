import { expect, test } from '@playwright/test';
import { activeReseller, adminApi, open, placeOrder, signInOperator, unique } from './fixtures';

test("the operator walks a reseller's sub-pages by their tabs; each has its URL, its h1 and its data", async ({
  browser,
  request,
}) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Tabs');
  await adminApi(request, 'POST', `/resellers/${shop.reseller}/payments`, { amount: '50.00', reference: `TAB-${id}` });
  const placed = await placeOrder(request, shop.key, shop.secret, {
    customer: { external_id: `tab-${id}`, name: 'Tabitha Tab' },
    lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 1 }],
  });
  expect(placed.status()).toBe(201);
  const order = await placed.json();

  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const page = await context.newPage();
  await signInOperator(page);
  await page.getByLabel('Search').fill(shop.company);
  await page.getByRole('button', { name: 'Filter' }).click();
  await page.getByRole('link', { name: shop.company }).click();

  const base = `/admin/resellers/${shop.reseller}`;
  const tabs = page.getByRole('navigation', { name: 'Reseller' });
  const h1 = page.getByRole('heading', { level: 1 });
  // Overview: the facts, the lifecycle actions and the settings.
  await expect(page).toHaveURL(new RegExp(`${base}$`));
  await expect(h1).toHaveText(`${shop.company}: Overview`);
  await expect(tabs.getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');
  await expect(page.locator('dl.facts')).toContainText('Active');
  await expect(page.getByRole('button', { name: 'Suspend' })).toBeVisible();
  await expect(page.getByLabel('Rate limit (requests per window)')).toHaveValue('1000');
  // The panel's navigation marks the Resellers page the reseller is part of.
  await expect(
    page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Resellers' }),
  ).toHaveAttribute('aria-current', 'page');
  // The sub-pages' data is on their own pages, not here.
  await expect(page.getByTestId('balance')).toHaveCount(0);
  await expect(page.getByText('Record payment')).toHaveCount(0);

  const visit = async (tab: string, path: string) => {
    await tabs.getByRole('link', { name: tab }).click();
    await expect(page).toHaveURL(new RegExp(`${base}${path}$`));
    await expect(h1).toHaveText(`${shop.company}: ${tab}`);
    await expect(tabs.getByRole('link', { name: tab })).toHaveAttribute('aria-current', 'page');
    await expect(tabs.locator('[aria-current="page"]')).toHaveCount(1);
  };

  // Account: figures, entries (the payment and the order's charge), statements, the forms.
  await visit('Account', '/account');
  await expect(page.getByTestId('balance')).toHaveText('43.00 EUR');
  await expect(page.getByRole('table', { name: 'Account entries' })).toContainText(`Payment, ref. TAB-${id}`);
  await expect(page.getByRole('table', { name: 'Monthly statements' })).toBeVisible();
  await expect(page.getByRole('region', { name: 'Record payment' })).toBeVisible();
  await expect(page.getByLabel('Credit limit', { exact: true })).toBeVisible();

  // Price book: the grid row and its history.
  await visit('Price book', '/price-book');
  const row = page.getByRole('row', { name: new RegExp(`E2E Tabs VPS ${id}`) });
  await expect(row.getByLabel('Monthly')).toHaveValue('7.00');
  await expect(page.getByRole('heading', { level: 2, name: 'Price history' })).toBeVisible();
  await expect(page.getByRole('row').filter({ hasText: 'monthly — → 7.00' })).toContainText(`E2E Tabs VPS ${id}`);

  // Services: the order's service, its customer, the provisioning outcomes.
  await visit('Services', '/services');
  const service = page.getByRole('row', { name: new RegExp(order.service_ids[0]) });
  await expect(service).toContainText(`Tabitha Tab (tab-${id})`);
  await expect(service).toContainText('Pending');
  await service.getByRole('button', { name: 'Activate' }).click();
  await expect(page.getByRole('status')).toHaveText('Service updated.');
  await expect(service).toContainText('Active');

  // History: the approval, with who did it.
  await visit('History', '/history');
  await expect(page.getByRole('row', { name: /reseller\.approve/ })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Everything about this reseller in the audit log' })).toHaveAttribute(
    'href',
    `/admin/audit-log?subject=${shop.reseller}`,
  );

  // Back to Overview by its tab; and each sub-page works on a reload
  // (server-rendered, then hydrated).
  await visit('Overview', '');
  for (const [tab, path] of [
    ['Account', '/account'],
    ['Price book', '/price-book'],
    ['Services', '/services'],
    ['History', '/history'],
  ]) {
    await open(page, `${base}${path}`);
    await expect(h1).toHaveText(`${shop.company}: ${tab}`);
    await expect(tabs.getByRole('link', { name: tab })).toHaveAttribute('aria-current', 'page');
  }
  // The statement links back to the account.
  await open(page, `${base}/account`);
  await page.getByRole('link', { name: 'View and print' }).first().click();
  await expect(page.getByRole('heading', { level: 1, name: /^Statement, / })).toBeVisible();
  await page.getByRole('link', { name: 'Back to the account' }).click();
  await expect(page).toHaveURL(new RegExp(`${base}/account$`));
  await expect(h1).toHaveText(`${shop.company}: Account`);
  await context.close();
});

test('an unknown reseller answers 404 on every sub-page', async ({ page }) => {
  await signInOperator(page);
  for (const path of ['', '/account', '/history']) {
    const response = await page.goto(`/admin/resellers/rsl_01jd8x2m3n4p5q6r7s8t9v0w1x${path}`);
    expect(response!.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1, name: 'Reseller' })).toBeVisible();
    await expect(page.getByRole('alert').first()).toContainText('No such reseller');
  }
});

test('the Resellers list reads a credit limit of 0.00 as Prepaid and none as No limit', async ({ page, request }) => {
  const id = unique();
  const limits: Array<[string, string | null, string]> = [
    ['prepaid', '0.00', 'Prepaid'],
    ['open', null, 'No limit'],
    ['line', '500.00', '500.00 EUR'],
  ];
  for (const [name, limit] of limits) {
    const invited = await adminApi(request, 'POST', '/resellers', {
      email: `limit-${name}-${id}@example.com`,
      company_name: `Limit ${name} ${id}`,
    });
    if (limit !== null) {
      await adminApi(request, 'PATCH', `/resellers/${invited.id}`, { credit_limit: limit });
    }
  }
  await signInOperator(page);
  await page.getByLabel('Search').fill(`${id}`);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(new RegExp(`q=${id}`));
  const column = await page.getByRole('columnheader').allTextContents();
  const limitColumn = column.indexOf('Credit limit');
  expect(limitColumn).toBeGreaterThan(0);
  for (const [name, , shown] of limits) {
    const row = page.getByRole('row', { name: new RegExp(`Limit ${name} ${id}`) });
    // Cells after the row header: the header is column 0.
    await expect(row.locator('th, td').nth(limitColumn)).toHaveText(shown);
  }
});
