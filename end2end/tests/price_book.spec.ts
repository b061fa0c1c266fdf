import { expect, test } from '@playwright/test';
import { adminApi, open, registerClient, signInOperator, unique } from './fixtures';

test('a client applies; the operator approves, derives a price, disables it; the catalogue follows', async ({
  browser,
  request,
}) => {
  const id = unique();
  const productName = `E2E VPS ${id}`;
  await adminApi(request, 'POST', '/products', {
    name: productName,
    slug: `e2e-vps-${id}`,
    kind: 'vps',
    retail_monthly: '20.00',
    retail_hourly: '0.0300',
  });
  const company = `E2E Hosting ${id}`;

  // The client applies from the portal.
  const clientContext = await browser.newContext();
  const client = await clientContext.newPage();
  await registerClient(client, `applicant-${id}@example.com`);
  await client.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Program overview' }).click();
  await expect(client.getByRole('heading', { level: 1, name: 'Program overview' })).toBeVisible();
  await client.getByLabel('Company name').fill(company);
  await client.getByLabel('Website').fill('https://e2e.example');
  await client.getByRole('button', { name: 'Apply' }).click();
  await expect(client.getByRole('status')).toContainText('pending review');
  await expect(client.getByText('Pending', { exact: true })).toBeVisible();

  // The operator approves it.
  const operatorContext = await browser.newContext();
  const operator = await operatorContext.newPage();
  await signInOperator(operator);
  await operator.getByLabel('Search').fill(company);
  await operator.getByRole('button', { name: 'Filter' }).click();
  await operator.getByRole('link', { name: company }).click();
  await expect(operator.getByRole('heading', { level: 1, name: company })).toBeVisible();
  await operator.getByRole('button', { name: 'Approve' }).click();
  await expect(operator.getByRole('status').first()).toContainText('Status changed');
  await expect(operator.locator('dl.facts')).toContainText('Active');

  // ...prices the product with "Derive from retail" (default discount 0 %)...
  await operator.getByRole('navigation', { name: 'Reseller' }).getByRole('link', { name: 'Price book' }).click();
  await expect(operator.getByRole('heading', { level: 1, name: `${company}: Price book` })).toBeVisible();
  const row = operator.getByRole('row', { name: new RegExp(productName) });
  await row.getByRole('button', { name: 'Derive from retail' }).click();
  await expect(row.getByLabel('Monthly')).toHaveValue('20.00');
  await expect(row.getByLabel('Hourly')).toHaveValue('0.03');
  await expect(row.getByLabel('Quarterly')).toHaveValue('');
  await row.getByLabel('Discount override (%)').fill('10');
  await row.getByRole('button', { name: 'Derive from retail' }).click();
  await expect(row.getByLabel('Monthly')).toHaveValue('18.00');
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(row.getByRole('status')).toHaveText('Saved.');

  // The reseller's Products page shows it.
  await open(client, '/portal/products');
  const item = client.getByRole('row', { name: new RegExp(productName) });
  await expect(item).toBeVisible();
  await expect(item).toContainText('Monthly: 18.00 EUR');

  // The operator disables it; the reseller no longer sees it.
  await row.getByLabel('Enabled').uncheck();
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(operator.getByRole('row').filter({ hasText: 'enabled yes → no' })).toBeVisible();
  await client.reload();
  await expect(client.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await expect(client.getByRole('heading', { level: 1, name: 'Products' })).toBeVisible();
  await expect(client.getByRole('row', { name: new RegExp(productName) })).toHaveCount(0);

  await clientContext.close();
  await operatorContext.close();
});

test('a refused transition shows a readable error', async ({ page, request }) => {
  const id = unique();
  const invited = await adminApi(request, 'POST', '/resellers', {
    email: `refused-${id}@example.com`,
    company_name: `Refused ${id}`,
  });
  await signInOperator(page);
  await open(page, `/admin/resellers/${invited.id}`);
  await page.getByLabel('Reason for termination').fill('Application rejected');
  // Another operator approves it meanwhile (through the admin API).
  await adminApi(request, 'POST', `/resellers/${invited.id}/approve`, {});
  await page.getByRole('button', { name: 'Approve' }).click();
  await expect(page.getByRole('alert')).toContainText('cannot be approved');
});
