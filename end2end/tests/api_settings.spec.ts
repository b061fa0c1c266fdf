import { APIRequestContext, expect, Page, test } from '@playwright/test';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { activeReseller, open, placeOrder, signInClient, unique } from './fixtures';

/** A webhook receiver that refuses service.created (500) and takes the rest. */
async function pickyReceiver(): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const refuse = body.includes('"service.created"');
      res.writeHead(refuse ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(refuse ? 'no' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hooks`, server };
}

/** The rows of the page's (one) table. */
const rows = (page: Page) => page.locator('tbody tr');

/** Reloads until the table has `n` rows (deliveries settle, the log is written in batches). */
async function untilRows(page: Page, n: number) {
  await expect
    .poll(
      async () => {
        await page.reload();
        await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
        return rows(page).count();
      },
      { timeout: 30_000 },
    )
    .toBe(n);
}

async function partnerTraffic(request: APIRequestContext, key: string, secret: string, id: string, product: string) {
  // Eleven orders: 22 deliveries (order.created, service.created) and 11 requests.
  for (let n = 0; n < 11; n++) {
    const placed = await placeOrder(request, key, secret, {
      customer: { external_id: `api-${id}-${n}` },
      lines: [{ product_id: product, term: 'monthly', quantity: 1 }],
    });
    expect(placed.status()).toBe(201);
  }
  // Twelve reads and one unsigned order (401).
  for (let n = 0; n < 12; n++) {
    const me = await request.get('/api/v1/me', { headers: { Authorization: `Bearer ${key}` } });
    expect(me.status()).toBe(200);
  }
  const unsigned = await request.post('/api/v1/orders', {
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json', 'Idempotency-Key': `u-${id}` },
    data: '{}',
  });
  expect(unsigned.status()).toBe(401);
}

test('API Settings is five sub-pages; deliveries and requests are filtered and paged', async ({ browser, request }) => {
  const id = unique();
  const hooks = await pickyReceiver();
  const shop = await activeReseller(request, browser, id, 'Api', hooks.url);
  await partnerTraffic(request, shop.key, shop.secret, id, shop.product.id);

  const context = await browser.newContext();
  const page = await context.newPage();
  await signInClient(page, shop.email);
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'API Settings' }).click();
  const tabs = page.getByRole('navigation', { name: 'API Settings' });
  const h1 = page.getByRole('heading', { level: 1 });
  const visit = async (tab: string, path: string) => {
    await tabs.getByRole('link', { name: tab }).click();
    await expect(page).toHaveURL(new RegExp(`/portal/api-settings${path}$`));
    await expect(h1).toHaveText(`API Settings: ${tab}`);
    await expect(tabs.getByRole('link', { name: tab })).toHaveAttribute('aria-current', 'page');
    await expect(tabs.locator('[aria-current="page"]')).toHaveCount(1);
  };

  // Keys: the key the operator made, and the rate limit.
  await expect(page).toHaveURL(/\/portal\/api-settings$/);
  await expect(h1).toHaveText('API Settings: Keys');
  await expect(tabs.getByRole('link', { name: 'Keys' })).toHaveAttribute('aria-current', 'page');
  await expect(page.getByRole('row', { name: new RegExp(shop.key.slice(0, 17)) })).toContainText('Live');
  await expect(page.getByTestId('rate-limit')).toContainText('1000 requests per');
  await expect(page.getByLabel('Webhook URL')).toHaveCount(0);

  // Webhook: the endpoint.
  await visit('Webhook', '/webhook');
  await expect(page.getByLabel('Webhook URL')).toHaveValue(hooks.url);
  await expect(page.getByRole('button', { name: 'Rotate secret' })).toBeVisible();

  // Deliveries: a test event, then by event type and status once they settle.
  await visit('Deliveries', '/deliveries');
  await page.getByRole('button', { name: 'Send test event' }).click();
  await expect(page.getByRole('status')).toContainText('Test event queued');
  await page.getByLabel('Event type').selectOption('service.created');
  await page.getByLabel('Status').selectOption('failed');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/\/portal\/api-settings\/deliveries\?status=failed&event_type=service\.created(&|$)/);
  await expect(h1).toHaveText('API Settings: Deliveries');
  await untilRows(page, 11);
  for (const row of await rows(page).all()) {
    await expect(row).toContainText('service.created');
    await expect(row).toContainText('failed');
  }
  await page.getByLabel('Event type').selectOption('order.created');
  await page.getByLabel('Status').selectOption('succeeded');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/status=succeeded&event_type=order\.created(&|$)/);
  await expect(rows(page)).toHaveCount(11);
  await expect(rows(page).filter({ hasText: 'service.created' })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'Older deliveries' })).toHaveCount(0);
  // Unfiltered: 23, twenty to a page, newest (the test event) first.
  await page.getByLabel('Event type').selectOption('');
  await page.getByLabel('Status').selectOption('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(rows(page)).toHaveCount(20);
  await expect(rows(page).first()).toContainText('webhook.test');
  const firstPage = await rows(page).locator('th code').allTextContents();
  await page.getByRole('link', { name: 'Older deliveries' }).click();
  await expect(page).toHaveURL(/\/portal\/api-settings\/deliveries\?before=dlv_/);
  await expect(rows(page)).toHaveCount(3);
  const secondPage = await rows(page).locator('th code').allTextContents();
  expect(secondPage.filter((d) => firstPage.includes(d))).toEqual([]);
  // A delivery opens, and leads back to the list.
  await rows(page).first().getByRole('link').click();
  await expect(page.getByRole('heading', { level: 1, name: 'Webhook delivery' })).toBeVisible();
  await page.getByRole('link', { name: 'All deliveries' }).click();
  await expect(h1).toHaveText('API Settings: Deliveries');

  // Requests: 24, by status and by path, twenty to a page. The log is
  // written in batches, in order: once the last (the 401) shows, all do.
  await visit('Requests', '/requests');
  await page.getByLabel('Status').fill('401');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/\/portal\/api-settings\/requests\?status=401&path=(&|$)/);
  await untilRows(page, 1);
  await expect(rows(page).first()).toContainText('POST /api/v1/orders');
  await page.getByLabel('Status').fill('');
  await page.getByLabel('Path begins with').fill('/api/v1/me');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(rows(page)).toHaveCount(12);
  await expect(rows(page).filter({ hasText: 'POST' })).toHaveCount(0);
  await page.getByLabel('Path begins with').fill('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(rows(page)).toHaveCount(20);
  const firstRequests = await rows(page).locator('td:last-child code').allTextContents();
  await page.getByRole('link', { name: 'Older requests' }).click();
  await expect(page).toHaveURL(/\/portal\/api-settings\/requests\?before=\d+$/);
  await expect(rows(page)).toHaveCount(4);
  const olderRequests = await rows(page).locator('td:last-child code').allTextContents();
  expect(olderRequests.filter((r) => firstRequests.includes(r))).toEqual([]);
  // A bad filter is explained.
  await page.getByLabel('Path begins with').fill('api/v1');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page.getByRole('alert')).toContainText('A path begins with /');

  // Guide: the signing guide.
  await visit('Guide', '/guide');
  await expect(page.getByRole('heading', { level: 3, name: 'Worked example' })).toBeVisible();

  // Each sub-page works on a reload (server-rendered, then hydrated).
  for (const [tab, path] of [
    ['Keys', ''],
    ['Webhook', '/webhook'],
    ['Deliveries', '/deliveries'],
    ['Requests', '/requests'],
    ['Guide', '/guide'],
  ]) {
    await open(page, `/portal/api-settings${path}`);
    await expect(h1).toHaveText(`API Settings: ${tab}`);
    await expect(tabs.getByRole('link', { name: tab })).toHaveAttribute('aria-current', 'page');
  }
  hooks.server.close();
  await context.close();
});
