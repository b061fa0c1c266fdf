import { expect, test } from '@playwright/test';
import { activeReseller, adminApi, open, placeOrder, signInClient, signInOperator, unique } from './fixtures';

// The operator walks a service through its outcomes and renews it from the
// reseller's Services tab; the partner API sees each step.
test("a service's Activate, Suspend, Unsuspend, Renew now and Terminate work from the admin panel", async ({
  browser,
  page,
  request,
}) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Act');
  const placed = await placeOrder(request, shop.key, shop.secret, {
    customer: { external_id: `act-${id}` },
    lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 1 }],
  });
  expect(placed.status()).toBe(201);
  const service = ((await placed.json()).service_ids as string[])[0];
  // The partner API's view of the service (unsigned reads are allowed).
  const api = async () =>
    (await request.get(`/api/v1/services/${service}`, { headers: { Authorization: `Bearer ${shop.key}` } })).json();
  const before = await api();

  await signInOperator(page);
  await open(page, `/admin/resellers/${shop.reseller}/services`);
  const row = page.getByRole('row', { name: new RegExp(service) });
  await expect(row).toContainText('Pending');
  await row.getByRole('button', { name: 'Activate' }).click();
  await expect(row).toContainText('Active');
  expect((await api()).status).toBe('active');

  await row.getByRole('button', { name: 'Suspend' }).click();
  await expect(row).toContainText('Suspended (by the operator)');
  await row.getByRole('button', { name: 'Unsuspend' }).click();
  await expect(row).toContainText('Active');
  expect((await api()).status).toBe('active');

  // Renew now: charged once, next renewal a month on.
  await row.getByRole('button', { name: 'Renew now' }).click();
  await expect.poll(async () => (await api()).next_renewal_at).not.toBe(before.next_renewal_at);
  const account = await adminApi(request, 'GET', `/resellers/${shop.reseller}/transactions`);
  const renewals = account.data.filter((e: { kind: string }) => e.kind === 'renewal');
  expect(renewals.map((e: { amount: string }) => e.amount)).toEqual(['-7.00']);

  await row.getByRole('button', { name: 'Terminate' }).click();
  await expect(row).toContainText('Terminated');
  expect((await api()).status).toBe('terminated');
  await expect(row.getByRole('button')).toHaveCount(0);
});

test('the Customers search finds a customer by name or external id and says when none matches', async ({
  browser,
  page,
  request,
}) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Find');
  for (const [external, name] of [
    [`alpha-${id}`, 'Ada Alpha'],
    [`beta-${id}`, 'Bob Beta'],
  ]) {
    const placed = await placeOrder(request, shop.key, shop.secret, {
      customer: { external_id: external, name },
      lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 1 }],
    });
    expect(placed.status()).toBe(201);
  }
  await signInClient(page, shop.email);
  await open(page, '/portal/customers');
  const customers = page.locator('section.customer');
  await expect(customers).toHaveCount(2);
  await page.getByLabel('External id or name').fill('Bob');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page).toHaveURL(/q=Bob/);
  await expect(customers).toHaveCount(1);
  await expect(customers.first()).toHaveAttribute('aria-label', `beta-${id}`);
  await page.getByLabel('External id or name').fill(`alpha-${id}`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(customers).toHaveCount(1);
  await expect(customers.first()).toHaveAttribute('aria-label', `alpha-${id}`);
  await page.getByLabel('External id or name').fill(`nobody-${id}`);
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(customers).toHaveCount(0);
});
