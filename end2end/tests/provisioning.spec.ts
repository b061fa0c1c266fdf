import { expect, test } from '@playwright/test';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { activeReseller, open, placeOrder, signInClient, signInOperator, unique } from './fixtures';

/** The operator's automation, as a test double: answers each call by the
 *  customer's external id: `fail-` 503 (until mended), `later-` 202,
 *  anything else 200 done with details. */
async function endpoint(): Promise<{ url: string; mend: () => void; calls: unknown[]; server: Server }> {
  let mended = false;
  const calls: unknown[] = [];
  const read = (req: IncomingMessage) =>
    new Promise<string>((resolve) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => resolve(body));
    });
  const server = createServer(async (req, res) => {
    const call = JSON.parse(await read(req));
    calls.push(call);
    const customer: string = call.customer.external_id;
    res.setHeader('content-type', 'application/json');
    if (customer.startsWith('fail-') && !mended) {
      res.statusCode = 503;
      res.end(JSON.stringify({ error: 'node down' }));
    } else if (customer.startsWith('later-')) {
      res.statusCode = 202;
      res.end(JSON.stringify({ status: 'pending' }));
    } else {
      res.end(JSON.stringify({ status: 'done', details: { hostname: `${customer}.vps.example`, ip_address: '10.9.8.7' } }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/provision`, mend: () => (mended = true), calls, server };
}

// An operator switches a product to the http module; orders for it come to
// life without a click; the failed one waits on the Provisioning page and
// "Retry now" mends it; one answered 202 is marked done by hand; the
// reseller reads its service's details.
test('an http product provisions by itself; the Provisioning page retries and marks done', async ({
  browser,
  page,
  request,
}) => {
  const id = unique();
  const automation = await endpoint();
  const shop = await activeReseller(request, browser, id, 'Prov');

  await signInOperator(page);
  await open(page, `/admin/products/${shop.product.id}`);
  await page.getByLabel('Provisioning module').selectOption('http');
  await page.getByLabel('Endpoint URL (http module)').fill(automation.url);
  await page.getByLabel('Provisioning settings (JSON)').fill('{"node": "pve-e2e"}');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Product saved.')).toBeVisible();
  await expect(page.getByTestId('provisioning-secret')).toContainText('whsec_');

  const order = async (customer: string) => {
    const placed = await placeOrder(request, shop.key, shop.secret, {
      customer: { external_id: customer },
      lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 1 }],
    });
    expect(placed.status()).toBe(201);
    return ((await placed.json()).service_ids as string[])[0];
  };
  const service = async (sid: string) =>
    (await request.get(`/api/v1/services/${sid}`, { headers: { Authorization: `Bearer ${shop.key}` } })).json();
  const ok = await order(`ok-${id}`);
  const failing = await order(`fail-${id}`);
  const later = await order(`later-${id}`);

  // Nothing by hand: the first goes active with its details.
  await expect.poll(async () => (await service(ok)).status).toBe('active');
  expect((await service(ok)).details.hostname).toBe(`ok-${id}.vps.example`);
  await expect.poll(async () => (await service(failing)).provisioning?.state, { timeout: 20_000 }).toBe('failed');
  expect((await service(failing)).status).toBe('pending');

  await open(page, '/admin/provisioning');
  await expect(page.getByRole('heading', { level: 1, name: 'Provisioning' })).toBeVisible();
  const failedRow = page.getByRole('row', { name: new RegExp(failing) });
  await expect(failedRow).toContainText('failed');
  await expect(failedRow).toContainText('HTTP 503');
  automation.mend();
  await failedRow.getByRole('button', { name: 'Retry now' }).click();
  await expect(page.getByText('Queued: the action is attempted now.')).toBeVisible();
  await expect.poll(async () => (await service(failing)).status).toBe('active');

  // The 202 waits in progress until someone reports; the operator marks it done.
  await expect.poll(async () => (await service(later)).provisioning?.state).toBe('running');
  await open(page, '/admin/provisioning');
  const laterRow = page.getByRole('row', { name: new RegExp(later) });
  await expect(laterRow).toContainText('waiting');
  await laterRow.getByRole('textbox').fill('Set up by hand on pve-e2e');
  await laterRow.getByRole('button', { name: 'Mark done' }).click();
  await expect(page.getByText('Marked done.')).toBeVisible();
  await expect.poll(async () => (await service(later)).status).toBe('active');
  await expect(page.getByRole('row', { name: new RegExp(later) })).toHaveCount(0);

  // The reseller reads the details on its service's page, and nothing of the settings.
  await signInClient(page, shop.email);
  await open(page, '/portal/services');
  await page.getByRole('link', { name: ok }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText(ok);
  await expect(page.getByTestId('service-provisioning')).toContainText('Create: Done');
  await expect(page.getByTestId('service-details')).toContainText(`ok-${id}.vps.example`);
  await expect(page.locator('body')).not.toContainText('pve-e2e');
  automation.server.close();
});
