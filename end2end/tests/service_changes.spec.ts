import { expect, test } from '@playwright/test';
import { activeReseller, adminApi, open, placeOrder, signInClient, signInOperator, unique } from './fixtures';

// A reseller previews an upgrade on its service's page, confirms it (the
// proration lines as previewed, the new price shown), then cancels another
// service at the end of its term; the list shows the scheduled
// cancellation, and the operator sees it on the reseller's Services tab and
// withdraws it on the reseller's behalf.
test('a reseller upgrades a service and cancels another at the end of its term', async ({ browser, page, request }) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Chg');
  const large = await adminApi(request, 'POST', '/products', {
    name: `E2E Large VPS ${id}`,
    slug: `e2e-large-${id}`,
    kind: 'vps',
    retail_monthly: '40.00',
  });
  await adminApi(request, 'PUT', `/resellers/${shop.reseller}/products/${large.id}`, { wholesale_monthly: '21.00' });
  const order = async (customer: string) => {
    const placed = await placeOrder(request, shop.key, shop.secret, {
      customer: { external_id: customer },
      lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 1 }],
    });
    expect(placed.status()).toBe(201);
    const sid = ((await placed.json()).service_ids as string[])[0];
    await adminApi(request, 'POST', `/services/${sid}/activate`, {});
    return sid;
  };
  const upgraded = await order(`up-${id}`);
  const ending = await order(`end-${id}`);

  await signInClient(page, shop.email);
  await open(page, `/portal/services/${upgraded}`);
  await page.getByLabel('Product').selectOption(large.id);
  await page.getByRole('button', { name: 'Preview change' }).click();
  const preview = page.getByTestId('change-preview');
  await expect(preview).toContainText('Applies now');
  await expect(preview.getByRole('row')).toHaveCount(3); // header, credit, charge
  const net = await page.getByTestId('change-net').innerText();
  expect(net).toMatch(/\d/);
  await page.getByRole('button', { name: 'Confirm change' }).click();
  await expect(page.getByText('Change made.')).toBeVisible();
  await expect(page.getByTestId('service-price')).toContainText('21.00');
  await expect(page.getByRole('heading', { level: 1 })).toContainText(`E2E Large VPS ${id}`);
  // The account shows the two proration entries.
  const entries = await request.get('/api/v1/transactions?kind=proration', {
    headers: { Authorization: `Bearer ${shop.key}` },
  });
  expect(((await entries.json()).data as unknown[]).length).toBe(2);

  await open(page, `/portal/services/${ending}`);
  await expect(page.getByTestId('cancel-refund')).toContainText(/\d/);
  await page.getByLabel(/At the end of the term/).check();
  await page.getByLabel('Reason (optional)').fill('The customer moved away');
  await page.getByRole('button', { name: 'Confirm cancellation' }).click();
  await expect(page.getByText('Cancellation scheduled for the end of the term.')).toBeVisible();
  await expect(page.getByTestId('scheduled-cancellation')).toContainText('not renewed');
  await open(page, '/portal/services');
  await expect(page.getByRole('row', { name: new RegExp(ending) }).getByTestId('scheduled-note')).toContainText(
    'Cancels',
  );

  // The operator sees it and withdraws it for the reseller.
  const operator = await browser.newPage();
  await signInOperator(operator);
  await open(operator, `/admin/resellers/${shop.reseller}/services`);
  await expect(operator.getByRole('row', { name: new RegExp(ending) }).getByTestId('scheduled-note')).toContainText(
    'Cancels',
  );
  await operator.getByRole('link', { name: ending }).click();
  await expect(operator.getByTestId('scheduled-cancellation')).toBeVisible();
  await operator.getByRole('button', { name: 'Withdraw cancellation' }).click();
  await expect(operator.getByText('Cancellation withdrawn')).toBeVisible();
  await expect(operator.getByTestId('scheduled-cancellation')).toHaveCount(0);
  const after = await request.get(`/api/v1/services/${ending}`, { headers: { Authorization: `Bearer ${shop.key}` } });
  expect((await after.json()).cancel_at).toBeNull();
});

// A prepaid account without funds: the preview explains the 402 and offers
// no confirmation.
test('a change the account cannot cover is explained, not offered', async ({ browser, page, request }) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Pre');
  const large = await adminApi(request, 'POST', '/products', {
    name: `E2E Big ${id}`,
    slug: `e2e-big-${id}`,
    kind: 'vps',
    retail_monthly: '90.00',
  });
  await adminApi(request, 'PUT', `/resellers/${shop.reseller}/products/${large.id}`, { wholesale_monthly: '80.00' });
  const placed = await placeOrder(request, shop.key, shop.secret, {
    customer: { external_id: `pre-${id}` },
    lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 1 }],
  });
  const sid = ((await placed.json()).service_ids as string[])[0];
  await adminApi(request, 'POST', `/services/${sid}/activate`, {});
  await adminApi(request, 'PATCH', `/resellers/${shop.reseller}`, { credit_limit: '0.00' });

  await signInClient(page, shop.email);
  await open(page, `/portal/services/${sid}`);
  await page.getByLabel('Product').selectOption(large.id);
  await page.getByRole('button', { name: 'Preview change' }).click();
  await expect(page.locator('[data-code="insufficient_funds"]')).toContainText('cannot cover');
  await expect(page.getByRole('button', { name: 'Confirm change' })).toHaveCount(0);
});
