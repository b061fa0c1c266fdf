import { expect, test } from '@playwright/test';
import { activeReseller, adminApi, placeOrder, signInClient, unique } from './fixtures';

test("the portal's Services list names each service's customer and why a suspended one is", async ({
  browser,
  page,
  request,
}) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Svc');
  // Prepaid with exactly three terms' funds: the three services are paid
  // for, a renewal is not (and no payment follows, which would lift the
  // suspension for non-payment).
  await adminApi(request, 'PATCH', `/resellers/${shop.reseller}`, { credit_limit: '0.00' });
  await adminApi(request, 'POST', `/resellers/${shop.reseller}/payments`, { amount: '21.00', reference: `svc-${id}` });
  const placed = await placeOrder(request, shop.key, shop.secret, {
    customer: { external_id: `svc-${id}`, name: 'Sam Service' },
    lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 2 }],
  });
  expect(placed.status()).toBe(201);
  const other = await placeOrder(request, shop.key, shop.secret, {
    customer: { external_id: `plain-${id}` },
    lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 1 }],
  });
  expect(other.status()).toBe(201);
  const [byOperator, unpaid] = (await placed.json()).service_ids as string[];
  const pending = ((await other.json()).service_ids as string[])[0];
  for (const service of [byOperator, unpaid]) {
    await adminApi(request, 'POST', `/services/${service}/activate`, {});
  }
  await adminApi(request, 'POST', `/services/${byOperator}/suspend`, {});
  const renewed = await adminApi(request, 'POST', `/services/${unpaid}/renew`, {});
  expect([renewed.status, renewed.suspension_reason]).toEqual(['suspended', 'unpaid']);

  await signInClient(page, shop.email);
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Services', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Services' })).toBeVisible();
  await expect(page.getByRole('columnheader')).toHaveText([
    'Service',
    'Customer',
    'Product',
    'Status',
    'Provisioning',
    'Term',
    'Price',
    'Started',
    'Next renewal',
  ]);
  const row = (service: string) => page.getByRole('row', { name: new RegExp(service) });
  await expect(row(byOperator)).toContainText(`Sam Service (svc-${id})`);
  await expect(row(byOperator)).toContainText('Suspended (by the operator)');
  await expect(row(unpaid)).toContainText(`Sam Service (svc-${id})`);
  await expect(row(unpaid)).toContainText('Suspended (unpaid)');
  await expect(row(pending)).toContainText(`plain-${id}`);
  await expect(row(pending)).toContainText('Pending');

  // The status filter keeps the columns.
  await page.getByLabel('Status').selectOption('suspended');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/status=suspended/);
  await expect(page.locator('tbody tr')).toHaveCount(2);
  await expect(row(pending)).toHaveCount(0);
});
