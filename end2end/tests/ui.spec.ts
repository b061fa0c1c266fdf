import { expect, Page, test } from '@playwright/test';
import { PASSWORD, activeReseller, adminApi, fixtures, open, placeOrder, signInOperator, unique } from './fixtures';

async function signInClient(page: Page, email: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

test('a signed-out link to a panel page is answered 303 to sign-in, which returns to the page', async ({
  browser,
  request,
}) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id);

  // Without JavaScript: a 303 with the page to return to.
  const direct = await request.get('/portal/orders?customer=x', { maxRedirects: 0, headers: { accept: '*/*' } });
  expect(direct.status()).toBe(303);
  expect(direct.headers()['location']).toBe('/portal/login?next=%2Fportal%2Forders%3Fcustomer%3Dx');
  const admin = await request.get('/admin/webhooks', { maxRedirects: 0 });
  expect(admin.status()).toBe(303);
  expect(admin.headers()['location']).toBe('/admin/login?next=%2Fadmin%2Fwebhooks');

  // In a browser: sign in, and land on the page asked for.
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto('/portal/services?status=active');
  await expect(page).toHaveURL(/\/portal\/login\?next=%2Fportal%2Fservices%3Fstatus%3Dactive$/);
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await signInClient(page, shop.email);
  await expect(page).toHaveURL(/\/portal\/services\?status=active$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Services' })).toBeVisible();

  // A link that points elsewhere is not followed.
  await page.context().clearCookies();
  await open(page, '/portal/login?next=%2F%2Fevil.example%2Fportal');
  await signInClient(page, shop.email);
  await expect(page).toHaveURL(/\/portal$/);
});

test('orders are found by customer name; the top bar keeps its height on a short page', async ({
  browser,
  request,
}) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id);
  const line = [{ product_id: shop.product.id, term: 'monthly', quantity: 1 }];
  const alice = await placeOrder(request, shop.key, shop.secret, {
    customer: { external_id: `a-${id}`, name: `Alice Anders ${id}` },
    lines: line,
  });
  const bob = await placeOrder(request, shop.key, shop.secret, {
    customer: { external_id: `b-${id}`, name: `Bob Berg ${id}` },
    lines: line,
  });
  expect(alice.status()).toBe(201);
  expect(bob.status()).toBe(201);
  const [aliceOrder, bobOrder] = [await alice.json(), await bob.json()];

  const context = await browser.newContext();
  const page = await context.newPage();
  await open(page, '/portal/login');
  await signInClient(page, shop.email);
  await page.getByRole('navigation', { name: 'Portal' }).getByRole('link', { name: 'Orders', exact: true }).click();
  await expect(page.getByRole('row', { name: new RegExp(bobOrder.id) })).toBeVisible();
  await page.getByLabel('Customer', { exact: true }).fill('alice anders');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/customer=alice\+anders/);
  await expect(page.getByRole('row', { name: new RegExp(aliceOrder.id) })).toBeVisible();
  await expect(page.getByRole('row', { name: new RegExp(bobOrder.id) })).toHaveCount(0);

  // Two rows of orders: far shorter than the window, yet the dark top bar
  // is as tall as its content, not a third of the screen.
  const bar = await page.locator('header.topbar').boundingBox();
  expect(bar!.height).toBeLessThan(80);
});

test('the reseller page names who approved and what a settings change changed; the price grid scrolls', async ({
  browser,
  request,
}) => {
  const id = unique();
  const company = `Approve Me ${id}`;
  const invited = await adminApi(request, 'POST', '/resellers', {
    email: `approve-${id}@example.com`,
    company_name: company,
  });
  await adminApi(request, 'POST', '/products', {
    name: `E2E Grid VPS ${id}`,
    slug: `e2e-grid-${id}`,
    kind: 'vps',
    retail_monthly: '10.00',
  });

  const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
  const operator = await context.newPage();
  await signInOperator(operator);
  await open(operator, `/admin/resellers/${invited.id}`);
  await operator.getByRole('button', { name: 'Approve' }).click();
  await expect(operator.getByRole('status').first()).toContainText('Status changed');
  await expect(operator.locator('dl.facts')).toContainText(`by ${fixtures().operatorEmail}`);
  await expect(operator.locator('dl.facts')).not.toContainText('usr_');

  await operator.getByLabel('Rate limit (requests per window)').fill('777');
  await operator.getByRole('button', { name: 'Save settings' }).click();
  await expect(operator.getByRole('status').last()).toHaveText('Settings saved.');
  const tabs = operator.getByRole('navigation', { name: 'Reseller' });
  await tabs.getByRole('link', { name: 'History' }).click();
  const change = operator.getByRole('row', { name: /reseller\.update/ });
  await expect(change).toContainText('rate_limit: 1000 → 777');
  await expect(change).toContainText(fixtures().operatorEmail);

  // The grid is wider than 1366 px: the page does not scroll sideways, the
  // grid does, and its last column comes into view.
  await tabs.getByRole('link', { name: 'Price book' }).click();
  const row = operator.getByRole('row', { name: new RegExp(`E2E Grid VPS ${id}`) });
  const max = row.getByLabel('Max quantity');
  const pageWidth = await operator.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(pageWidth).toBeLessThanOrEqual(0);
  await expect(operator.getByText('The grid scrolls sideways')).toBeVisible();
  await max.scrollIntoViewIfNeeded();
  await expect(max).toBeInViewport();
  await max.fill('3');
  await row.getByRole('button', { name: 'Save' }).click();
  await expect(row.getByRole('status')).toHaveText('Saved.');
  await context.close();
});
