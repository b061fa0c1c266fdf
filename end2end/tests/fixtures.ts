import { expect, Page } from '@playwright/test';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Fixtures {
  operatorEmail: string;
  operatorPassword: string;
  adminToken: string;
}

/** Written by start-server.sh before the server starts. */
export function fixtures(): Fixtures {
  return JSON.parse(readFileSync(join(__dirname, '..', '.tmp', 'fixtures.json'), 'utf8'));
}

/** Signs a client in with `PASSWORD` and waits for its Dashboard. */
export async function signInClient(page: Page, email: string) {
  await open(page, '/portal/login');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
}

/** Opens a page and waits until the wasm has hydrated it. */
export async function open(page: Page, path: string) {
  await page.goto(path);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
}

/** A unique suffix, so tests sharing one database do not collide. */
export function unique(): string {
  return `${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

export async function signInOperator(page: Page) {
  const f = fixtures();
  await open(page, '/admin/login');
  await page.getByLabel('Email').fill(f.operatorEmail);
  await page.getByLabel('Password').fill(f.operatorPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Resellers' })).toBeVisible();
}

export async function registerClient(page: Page, email: string, password = 'client-password-123') {
  await open(page, '/portal/register');
  await page.getByLabel('Name').fill('E2E Client');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Register' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
}

/** Calls the admin API with the fixture's admin token. */
export async function adminApi(
  request: import('@playwright/test').APIRequestContext,
  method: 'GET' | 'POST' | 'PUT' | 'PATCH',
  path: string,
  body?: unknown,
) {
  const response = await request.fetch(`/api/admin/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${fixtures().adminToken}` },
    data: body,
  });
  const json = await response.json();
  if (!response.ok()) {
    throw new Error(`${method} ${path}: ${response.status()} ${JSON.stringify(json)}`);
  }
  return json;
}

/** Signs as the API Settings guide says: "<ts>.<METHOD>.<path>.<Idempotency-Key>.<body>". */
export function sign(
  secret: string,
  ts: number,
  method: string,
  path: string,
  idempotencyKey: string,
  body: string,
): string {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  return createHmac('sha256', key).update(`${ts}.${method}.${path}.${idempotencyKey}.${body}`).digest('hex');
}

/** Places an order through the partner API, signed, with a fresh Idempotency-Key. */
export async function placeOrder(
  request: import('@playwright/test').APIRequestContext,
  key: string,
  secret: string,
  order: unknown,
) {
  const body = JSON.stringify(order);
  const ts = Math.floor(Date.now() / 1000);
  const idempotencyKey = randomUUID();
  return request.post('/api/v1/orders', {
    headers: {
      Authorization: `Bearer ${key}`,
      'Content-Type': 'application/json',
      'Flux-Timestamp': String(ts),
      'Flux-Signature': `v2=${sign(secret, ts, 'POST', '/api/v1/orders', idempotencyKey, body)}`,
      'Idempotency-Key': idempotencyKey,
    },
    data: body,
  });
}

/** The password `activeReseller` chooses. */
export const PASSWORD = 'reseller-password-123';

/** An invited, approved, priced reseller with an API key and a password. */
export async function activeReseller(
  request: import('@playwright/test').APIRequestContext,
  browser: import('@playwright/test').Browser,
  id: string,
  prefix = 'UI',
  webhookUrl = 'http://127.0.0.1:9/hooks',
) {
  const company = `${prefix} Co ${id}`;
  const email = `${prefix.toLowerCase()}-${id}@example.com`;
  const product = await adminApi(request, 'POST', '/products', {
    name: `E2E ${prefix} VPS ${id}`,
    slug: `e2e-${prefix.toLowerCase()}-${id}`,
    kind: 'vps',
    retail_monthly: '10.00',
  });
  const invited = await adminApi(request, 'POST', '/resellers', { email, company_name: company });
  const reseller = invited.id as string;
  await adminApi(request, 'POST', `/resellers/${reseller}/approve`, {});
  await adminApi(request, 'PUT', `/resellers/${reseller}/products/${product.id}`, { wholesale_monthly: '7.00' });
  const webhook = await adminApi(request, 'PUT', `/resellers/${reseller}/webhook`, { url: webhookUrl });
  const key = await adminApi(request, 'POST', `/resellers/${reseller}/api-keys`, {});

  // The invited client chooses a password from the one-time link.
  const context = await browser.newContext();
  const page = await context.newPage();
  const link = new URL(invited.invitation_url);
  await open(page, link.pathname + link.search);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await context.close();
  return { company, email, reseller, product, key: key.key as string, secret: webhook.secret as string };
}

