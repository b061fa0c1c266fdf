import { expect, test } from '@playwright/test';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { adminApi, open, placeOrder, signInOperator, unique } from './fixtures';

/** A webhook receiver on a free port that answers 200 and remembers bodies. */
async function receiver(): Promise<{ url: string; bodies: string[]; server: Server }> {
  const bodies: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      bodies.push(body);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, bodies, server };
}

test('an API order shows its order.created delivery to the operator and the reseller; retry now adds an attempt', async ({
  browser,
  request,
}) => {
  const id = unique();
  const company = `Hook Co ${id}`;
  const hooks = await receiver();
  const product = await adminApi(request, 'POST', '/products', {
    name: `E2E Hook VPS ${id}`,
    slug: `e2e-hook-${id}`,
    kind: 'vps',
    retail_monthly: '10.00',
  });
  // Onboarding by script: invite, approve, price, webhook, key.
  const email = `hooks-${id}@example.com`;
  const invited = await adminApi(request, 'POST', '/resellers', { email, company_name: company });
  const reseller = invited.id as string;
  await adminApi(request, 'POST', `/resellers/${reseller}/approve`, {});
  await adminApi(request, 'PUT', `/resellers/${reseller}/products/${product.id}`, { wholesale_monthly: '8.00' });
  const webhook = await adminApi(request, 'PUT', `/resellers/${reseller}/webhook`, { url: hooks.url });
  const key = await adminApi(request, 'POST', `/resellers/${reseller}/api-keys`, {});

  const placed = await placeOrder(request, key.key, webhook.secret, {
    customer: { external_id: `hook-${id}` },
    lines: [{ product_id: product.id, term: 'monthly', quantity: 1 }],
  });
  expect(placed.status()).toBe(201);
  await expect.poll(() => hooks.bodies.some((b) => b.includes('"order.created"')), { timeout: 20_000 }).toBe(true);

  // The operator sees the delivery, opens it and retries it.
  const operatorContext = await browser.newContext();
  const operator = await operatorContext.newPage();
  await signInOperator(operator);
  await operator.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Webhooks' }).click();
  await operator.getByLabel('Reseller', { exact: true }).selectOption({ label: company });
  await operator.getByLabel('Event type').selectOption('order.created');
  await operator.getByRole('button', { name: 'Filter' }).click();
  await expect(operator).toHaveURL(new RegExp(`reseller_id=${reseller}`));
  // Other specs share this server: name this reseller's row, never "the" row.
  const row = operator.getByRole('row', { name: /order\.created/ }).filter({ hasText: reseller });
  await expect(row).toContainText('succeeded');
  await row.getByRole('link', { name: 'order.created' }).click();
  await expect(operator.getByRole('heading', { level: 1, name: 'Webhook delivery' })).toBeVisible();
  await expect(operator.getByTestId('delivery-attempts')).toHaveText('1');
  await expect(operator.locator('pre')).toContainText('"order.created"');
  await operator.getByRole('button', { name: 'Retry now' }).click();
  await expect(operator.getByRole('status')).toContainText('Queued');
  await expect
    .poll(
      async () => {
        await operator.reload();
        return operator.getByTestId('delivery-attempts').textContent();
      },
      { timeout: 20_000 },
    )
    .toBe('2');
  await expect(operator.locator('tbody tr')).toHaveCount(2);
  await expect(operator.locator('tbody tr').nth(1)).toContainText('200');

  // The reseller (who sets a password from the invitation) sees it too.
  const clientContext = await browser.newContext();
  const client = await clientContext.newPage();
  const invitation = new URL(invited.invitation_url);
  await open(client, `${invitation.pathname}${invitation.search}`);
  await client.getByLabel('Password').fill('hook-password-123');
  await client.getByRole('button', { name: 'Save' }).click();
  await expect(client.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await client.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'API Settings' }).click();
  await client.getByRole('navigation', { name: 'API Settings' }).getByRole('link', { name: 'Deliveries' }).click();
  await expect(client.getByRole('heading', { level: 1, name: 'API Settings: Deliveries' })).toBeVisible();
  await expect(client.getByRole('row', { name: /order\.created/ })).toContainText('succeeded');
  await client.getByRole('button', { name: 'Send test event' }).click();
  await expect.poll(() => hooks.bodies.some((b) => b.includes('"webhook.test"')), { timeout: 20_000 }).toBe(true);

  hooks.server.close();
  await operatorContext.close();
  await clientContext.close();
});
