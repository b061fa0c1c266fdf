import { expect, test } from '@playwright/test';
import { adminApi, open, PASSWORD, signInOperator, unique } from './fixtures';

// The operator's own forms, checked by their effect through the admin API.
test('the operator creates a product, then edits its price and switches it off', async ({ page, request }) => {
  const id = unique();
  const name = `E2E Form VPS ${id}`;
  await signInOperator(page);
  await open(page, '/admin/products');
  await page.getByLabel('Name').fill(name);
  await page.getByLabel('Slug').fill(`e2e-form-${id}`);
  await page.getByLabel('Kind').selectOption('vps');
  await page.getByLabel('Retail monthly').fill('15.00');
  await page.getByLabel('Retail setup fee').fill('2.50');
  await page.getByRole('button', { name: 'Create product' }).click();
  await expect(page.getByText('Product saved.')).toBeVisible();
  const row = page.getByRole('row', { name: new RegExp(name) });
  await expect(row).toContainText('15.00');
  await expect(row).toContainText('Active');

  // A bad price is refused in words and changes nothing.
  await row.getByRole('link', { name }).click();
  await expect(page.getByRole('heading', { level: 1, name })).toBeVisible();
  await page.getByLabel('Retail monthly').fill('fifteen');
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  const products = await adminApi(request, 'GET', '/products?limit=100');
  const created = products.data.find((p: { slug: string }) => p.slug === `e2e-form-${id}`);
  expect(created.retail_monthly).toBe('15.00');

  await page.getByLabel('Retail monthly').fill('16.50');
  await page.getByLabel('Active (resellers can buy it)').uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(page.getByText('Product saved.')).toBeVisible();
  const saved = await adminApi(request, 'GET', `/products/${created.id}`);
  expect(saved.retail_monthly).toBe('16.50');
  expect(saved.retail_setup_fee).toBe('2.50');
  expect(saved.is_active).toBe(false);
  await open(page, '/admin/products');
  await expect(page.getByRole('row', { name: new RegExp(name) })).toContainText('Inactive');
});

test('the invite form makes a pending reseller whose one-time link sets a password', async ({
  browser,
  page,
  request,
}) => {
  const id = unique();
  const company = `Invited Co ${id}`;
  await signInOperator(page);
  await open(page, '/admin/resellers');

  // A bad rate limit is refused in words and invites nobody.
  await page.getByLabel('Email').fill(`invited-${id}@example.com`);
  await page.getByLabel('Company name').fill(company);
  await page.getByLabel('Rate limit (requests per window)').fill('lots');
  await page.getByRole('button', { name: 'Invite' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  expect((await adminApi(request, 'GET', `/resellers?q=${encodeURIComponent(company)}`)).data).toHaveLength(0);

  await page.getByLabel('Rate limit (requests per window)').fill('');
  await page.getByRole('button', { name: 'Invite' }).click();
  const notice = page.getByText(`${company} invited. Send them this one-time link`);
  await expect(notice).toBeVisible();
  const link = new URL(((await notice.textContent()) ?? '').match(/https?:\/\/\S+/)![0]);
  const found = await adminApi(request, 'GET', `/resellers?q=${encodeURIComponent(company)}`);
  expect(found.data).toHaveLength(1);
  expect(found.data[0].status).toBe('pending');

  const context = await browser.newContext();
  const invited = await context.newPage();
  await open(invited, link.pathname + link.search);
  await invited.getByLabel('Password').fill(PASSWORD);
  await invited.getByRole('button', { name: 'Save' }).click();
  await expect(invited.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  await context.close();
});
