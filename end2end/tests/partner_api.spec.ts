import { expect, test } from '@playwright/test';
import { adminApi, open, placeOrder, registerClient, signInOperator, unique } from './fixtures';

test('a reseller generates a key; an API order shows on its pages; the operator finds the request', async ({
  browser,
  request,
}) => {
  const id = unique();
  const company = `API Partner ${id}`;
  const product = await adminApi(request, 'POST', '/products', {
    name: `E2E Game ${id}`,
    slug: `e2e-game-${id}`,
    kind: 'game_server',
    retail_monthly: '12.00',
  });

  // A client applies; the operator approves and prices by script.
  const clientContext = await browser.newContext();
  const client = await clientContext.newPage();
  await registerClient(client, `api-${id}@example.com`);
  await open(client, '/portal/program');
  await client.getByLabel('Company name').fill(company);
  await client.getByRole('button', { name: 'Apply' }).click();
  await expect(client.getByRole('status')).toContainText('pending review');
  const found = await adminApi(request, 'GET', `/resellers?q=${encodeURIComponent(company)}`);
  const reseller = found.data[0].id as string;
  await adminApi(request, 'POST', `/resellers/${reseller}/approve`, {});
  await adminApi(request, 'PUT', `/resellers/${reseller}/products/${product.id}`, {
    wholesale_monthly: '9.50',
    wholesale_setup_fee: '1.00',
  });

  // API Settings: set the webhook URL (reveals the secret), generate a key (shown once).
  await open(client, '/portal/api-settings/webhook');
  await client.getByLabel('Webhook URL').fill('http://127.0.0.1:9/hooks');
  await client.getByRole('button', { name: 'Save' }).click();
  const secret = (await client.getByTestId('webhook-secret').textContent())!.trim();
  expect(secret).toMatch(/^whsec_/);
  await client.getByRole('navigation', { name: 'API Settings' }).getByRole('link', { name: 'Keys' }).click();
  await expect(client).toHaveURL(/\/portal\/api-settings$/);
  await client.getByLabel('Key name').fill('shop backend');
  await client.getByRole('button', { name: 'Generate key' }).click();
  const key = (await client.getByTestId('new-key').textContent())!.trim();
  expect(key).toMatch(/^flux_key_/);
  await expect(client.getByText('shown only once')).toBeVisible();
  await client.reload();
  await expect(client.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(client.getByText(key)).toHaveCount(0);
  await expect(client.getByRole('row', { name: new RegExp(key.slice(0, 17)) })).toBeVisible();

  // The reseller's software places an order.
  const placed = await placeOrder(request, key, secret, {
    customer: { external_id: `cust-${id}`, name: 'Jane Player' },
    lines: [{ product_id: product.id, term: 'monthly', quantity: 2 }],
  });
  expect(placed.status()).toBe(201);
  const order = await placed.json();
  expect(order.wholesale_total).toBe('21.00');

  // It appears on Orders, Services, Customers and the Dashboard.
  const nav = client.getByRole('navigation', { name: 'Portal' });
  await nav.getByRole('link', { name: 'Orders', exact: true }).click();
  await expect(client.getByRole('row', { name: new RegExp(order.id) })).toBeVisible();
  await client.getByRole('link', { name: order.id }).click();
  await expect(client.getByRole('heading', { level: 1, name: `Order ${order.id}` })).toBeVisible();
  await expect(client.getByRole('row', { name: /E2E Game/ }).first()).toContainText('21.00 EUR');
  await nav.getByRole('link', { name: 'Services', exact: true }).click();
  await expect(client.getByRole('row', { name: new RegExp(order.service_ids[0]) })).toContainText('9.50 EUR');
  await nav.getByRole('link', { name: 'Customers', exact: true }).click();
  await expect(client.getByRole('heading', { name: new RegExp(`cust-${id}`) })).toBeVisible();
  await nav.getByRole('link', { name: 'Dashboard', exact: true }).click();
  await expect(client.getByTestId('orders-this-month')).toHaveText('1');
  await expect(client.getByTestId('spend-this-month')).toHaveText('21.00 EUR');
  await expect(client.getByRole('row', { name: new RegExp(order.id) })).toBeVisible();

  // The operator finds the request in API logs.
  const operatorContext = await browser.newContext();
  const operator = await operatorContext.newPage();
  await signInOperator(operator);
  await operator.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'API logs' }).click();
  // Resellers are chosen by company name; the URL keeps the id.
  await operator.getByLabel('Reseller', { exact: true }).selectOption({ label: company });
  await operator.getByRole('button', { name: 'Filter' }).click();
  await expect(operator).toHaveURL(new RegExp(`reseller_id=${reseller}`));
  // Other specs share this server: name this key's row, never "the" row.
  const row = operator.getByRole('row', { name: /POST \/api\/v1\/orders/ }).filter({ hasText: key.slice(0, 17) });
  await expect(row).toBeVisible();
  await expect(row).toContainText('201');
  await expect(row).toContainText(key.slice(0, 17));

  await clientContext.close();
  await operatorContext.close();
});
