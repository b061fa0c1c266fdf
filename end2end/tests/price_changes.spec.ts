import { expect, test } from '@playwright/test';
import { activeReseller, adminApi, open, placeOrder, signInClient, signInOperator, unique } from './fixtures';

/** A date `days` from today, as a date input takes it (UTC). */
function inDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

// The operator schedules a price cut for services already sold: the
// preview shows the one service it moves and the monthly revenue it costs;
// scheduled, it is listed on the price-book tab. A bulk +10 % on the
// reseller's book is shown row by row (on the prices in effect then), then scheduled. The reseller sees
// both on Products and is warned on its Dashboard.
test('the operator schedules a price change with its impact; the reseller sees it coming', async ({
  browser,
  page,
  request,
}) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Ppv');
  const placed = await placeOrder(request, shop.key, shop.secret, {
    customer: { external_id: `ppv-${id}` },
    lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 1 }],
  });
  expect(placed.status()).toBe(201);
  const service = ((await placed.json()).service_ids as string[])[0];
  await adminApi(request, 'POST', `/services/${service}/activate`, {});

  await signInOperator(page);
  await open(page, `/admin/resellers/${shop.reseller}/price-book`);
  const form = page.getByTestId('schedule-change');
  await form.getByLabel('Product').selectOption(shop.product.id);
  await expect(form.getByLabel('Monthly')).toHaveValue('7.00');
  await form.getByLabel('Takes effect on (UTC)').fill(inDays(10));
  await form.getByLabel('Services already sold').selectOption('at_renewal');
  await form.getByLabel('Monthly').fill('6.00');
  await page.getByRole('button', { name: 'Preview impact' }).click();
  await expect(page.getByTestId('change-impact')).toHaveText(
    '1 service affected; monthly wholesale revenue -1.00 EUR.',
  );
  await page.getByRole('button', { name: 'Schedule', exact: true }).click();
  await expect(page.getByText('Scheduled.', { exact: true })).toBeVisible();
  const scheduled = page.getByTestId('scheduled-version');
  await expect(scheduled).toHaveCount(1);
  await expect(scheduled).toContainText(inDays(10));
  await expect(scheduled).toContainText('6.00');
  await expect(scheduled).toContainText('move at their next renewal');


  // +10 % on the whole book from day 40, shown before it is saved: on the
  // prices in effect then (the 6.00 of day 10).
  const bulk = page.getByTestId('bulk-change');
  await bulk.getByLabel('Percent (7.5 raises, -10 lowers)').fill('10');
  await bulk.getByLabel('Takes effect on (UTC)').fill(inDays(40));
  await page.getByRole('button', { name: 'Preview', exact: true }).click();
  const line = page.getByTestId('bulk-line');
  await expect(line).toHaveCount(1);
  await expect(line).toContainText('Monthly 6.00 EUR');
  await expect(line).toContainText('Monthly 6.60 EUR');
  await page.getByRole('button', { name: 'Schedule all 1' }).click();
  await expect(page.getByText('Scheduled 1 change.')).toBeVisible();
  await expect(scheduled).toHaveCount(2);
  // The grid's row says so too.
  await page.reload();
  await expect(page.getByTestId('row-upcoming')).toHaveText(`New prices from ${inDays(10)} (+1 later)`);

  // The reseller's view.
  const portal = await browser.newPage();
  await signInClient(portal, shop.email);
  await open(portal, '/portal/products');
  const upcoming = portal.getByTestId('upcoming-price');
  await expect(upcoming).toHaveCount(2);
  await expect(upcoming.first()).toContainText(`From ${inDays(10)}`);
  await expect(upcoming.first()).toContainText('6.00');
  await expect(upcoming.last()).toContainText('6.60');
  await open(portal, '/portal');
  const notice = portal.getByTestId('price-notice');
  await expect(notice).toContainText(shop.product.name);
  await expect(notice).toContainText(`new prices from ${inDays(10)} for 1 service of yours`);

  // The partner API says the same.
  const products = await request.get('/api/v1/products', { headers: { Authorization: `Bearer ${shop.key}` } });
  const item = ((await products.json()).data as { id: string; upcoming: { prices: { monthly: string } }[] }[]).find(
    (p) => p.id === shop.product.id,
  );
  expect(item?.upcoming.map((v) => v.prices.monthly)).toEqual(['6.00', '6.60']);
});
