import { expect, test } from '@playwright/test';
import { adminApi, open, signInOperator, unique } from './fixtures';

// The operator moves a reseller through its lifecycle with the panel's own
// buttons (reasons typed, keyboard only for the suspension), and the Audit
// log page finds each step by the reseller's id.
test('Suspend, Reactivate and Terminate succeed from the panel and each lands in the Audit log', async ({
  page,
  request,
}) => {
  const id = unique();
  const invited = await adminApi(request, 'POST', '/resellers', {
    email: `lifecycle-${id}@example.com`,
    company_name: `Lifecycle Co ${id}`,
  });
  const reseller = invited.id as string;
  await adminApi(request, 'POST', `/resellers/${reseller}/approve`, {});

  await signInOperator(page);
  await open(page, `/admin/resellers/${reseller}`);
  const status = page.locator('dl.facts dd').first();
  await expect(status).toHaveText('Active');

  // Keyboard only: focus the reason, type it, Tab to the button, Enter.
  await page.getByLabel('Reason for suspension').focus();
  await page.keyboard.type(`overdue invoices ${id}`);
  await page.keyboard.press('Tab');
  await expect(page.getByRole('button', { name: 'Suspend' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(page.getByText('Status changed.')).toBeVisible();
  await expect(status).toHaveText('Suspended');

  await page.getByRole('button', { name: 'Reactivate' }).click();
  await expect(status).toHaveText('Active');

  // A termination without its reason is not sent (the field is required).
  await page.getByRole('button', { name: 'Terminate' }).click();
  await expect(status).toHaveText('Active');
  await page.getByLabel('Reason for termination').fill(`contract ended ${id}`);
  await page.getByRole('button', { name: 'Terminate' }).click();
  await expect(status).toHaveText('Terminated');
  await expect(page.getByText('No further transitions')).toBeVisible();
  const api = await adminApi(request, 'GET', `/resellers/${reseller}`);
  expect(api.status).toBe('terminated');

  await open(page, `/admin/audit-log?subject=${reseller}`);
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  const rows = page.locator('table tbody tr');
  // Newest first: terminate, reactivate, suspend, approve, invite.
  await expect(rows).toHaveCount(5);
  await expect(rows.nth(0)).toContainText(`contract ended ${id}`);
  await expect(rows.nth(0)).toContainText('terminated');
  await expect(rows.nth(1)).toContainText('active');
  await expect(rows.nth(2)).toContainText(`overdue invoices ${id}`);
  await expect(rows.nth(2)).toContainText('suspended');
  for (let i = 0; i < 5; i++) {
    await expect(rows.nth(i)).toContainText(reseller);
  }

  // The filter form narrows by action.
  await open(page, `/admin/audit-log?subject=${reseller}&action=reseller.suspend`);
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText(`overdue invoices ${id}`);
});
