import { expect, test } from '@playwright/test';
import { fixtures, open, registerClient, signInOperator, unique } from './fixtures';

const ADMIN_NAV = ['Resellers', 'Products', 'API logs', 'Webhooks', 'Audit log'];
const PORTAL_NAV = ['Dashboard', 'Orders', 'Services', 'Products', 'Customers', 'API Settings', 'Program overview'];

test('an operator signs in and sees the admin shell', async ({ page }) => {
  await signInOperator(page);
  const nav = page.getByRole('navigation', { name: 'Admin' });
  for (const name of ADMIN_NAV) {
    await expect(nav.getByRole('link', { name, exact: true })).toBeVisible();
  }
  await expect(page.getByText(fixtures().operatorEmail)).toBeVisible();
});

test('a wrong password shows an error and does not sign in', async ({ page }) => {
  await open(page, '/admin/login');
  await page.getByLabel('Email').fill(fixtures().operatorEmail);
  await page.getByLabel('Password').fill('definitely-not-the-password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong email or password.');
  await expect(page).toHaveURL(/\/admin\/login$/);
});

test('a client registers, signs out, signs in and sees the portal shell', async ({ page }) => {
  const email = `client-${unique()}@example.com`;
  await registerClient(page, email);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Client sign-in' })).toBeVisible();

  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('client-password-123');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
  const nav = page.getByRole('navigation', { name: 'Portal' });
  for (const name of PORTAL_NAV) {
    await expect(nav.getByRole('link', { name, exact: true })).toBeVisible();
  }
});

test('a client opening /admin is refused', async ({ page }) => {
  await registerClient(page, `client-${unique()}@example.com`);
  const response = await page.goto('/admin');
  expect(response?.status()).toBe(403);
  await expect(page.getByRole('heading', { level: 1, name: 'Not allowed' })).toBeVisible();
  await expect(page.getByRole('alert')).toContainText('for operators');
  await expect(page.getByRole('navigation', { name: 'Admin' })).toHaveCount(0);
});

test('navigation is client-side after hydration', async ({ page }) => {
  await signInOperator(page);
  // A marker on window survives client-side navigation, not a full reload.
  await page.evaluate(() => ((window as unknown as { __spa: boolean }).__spa = true));
  await page.getByRole('navigation', { name: 'Admin' }).getByRole('link', { name: 'Products', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Products' })).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/products$/);
  expect(await page.evaluate(() => (window as unknown as { __spa?: boolean }).__spa)).toBe(true);
});
