import { expect, test } from '@playwright/test';
import { activeReseller, open, placeOrder, signInClient, unique } from './fixtures';

// A reseller's credentials, handled in the portal: Reveal shows the secret
// in use, Rotate retires it (the old one no longer signs), Revoke retires a
// key. Each effect is checked through the partner API, not only on screen.
test('Reveal, Rotate and Revoke in API Settings take effect on the partner API', async ({ browser, page, request }) => {
  const id = unique();
  const r = await activeReseller(request, browser, id, 'Creds');
  const order = (n: number) => ({
    customer: { external_id: `creds-${id}-${n}`, name: 'Cred Client' },
    lines: [{ product_id: r.product.id, term: 'monthly', quantity: 1 }],
  });
  expect((await placeOrder(request, r.key, r.secret, order(1))).status()).toBe(201);

  await signInClient(page, r.email);
  await open(page, '/portal/api-settings/webhook');
  await page.getByRole('button', { name: 'Reveal secret' }).click();
  await expect(page.getByTestId('revealed-secret')).toHaveText(r.secret);

  // Rotation asks for a confirmation first and changes nothing without it.
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await expect(page.getByRole('alert')).toBeVisible();
  expect((await placeOrder(request, r.key, r.secret, order(2))).status()).toBe(201);
  await page.getByLabel('I understand').check();
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  const rotated = (await page.getByTestId('webhook-secret').textContent())!.trim();
  expect(rotated).toMatch(/^whsec_/);
  expect(rotated).not.toBe(r.secret);
  expect((await placeOrder(request, r.key, r.secret, order(3))).status()).toBe(401);
  expect((await placeOrder(request, r.key, rotated, order(4))).status()).toBe(201);
  await page.reload();
  await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
  await page.getByRole('button', { name: 'Reveal secret' }).click();
  await expect(page.getByTestId('revealed-secret')).toHaveText(rotated);

  // Revoke: the key's row says so and the key no longer authenticates.
  await open(page, '/portal/api-settings');
  const row = page.getByRole('row', { name: new RegExp(r.key.slice(0, 17)) });
  await row.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByText('Key revoked.')).toBeVisible();
  await expect(page.getByRole('row', { name: new RegExp(r.key.slice(0, 17)) })).toContainText('Revoked');
  expect((await placeOrder(request, r.key, rotated, order(5))).status()).toBe(401);
});
