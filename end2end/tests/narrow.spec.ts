import { expect, Page, test } from '@playwright/test';
import { activeReseller, open, placeOrder, signInClient, signInOperator, unique } from './fixtures';

// At 360 px (a small phone) every main page of both panels fits the screen:
// the page never scrolls sideways, and whatever reaches past the right
// edge sits in a frame that scrolls sideways itself (tables in
// `.table-wrap`), never cut off without a way to reach it.
const WIDTH = 360;

/** What reaches past the screen's right edge outside a sideways-scrolling frame. */
async function cutOff(page: Page): Promise<string[]> {
  return page.evaluate((width) => {
    const scrolls = (e: Element | null): boolean => {
      for (let el = e; el && el !== document.body; el = el.parentElement) {
        const style = getComputedStyle(el);
        if (['auto', 'scroll'].includes(style.overflowX) && el.scrollWidth > el.clientWidth) return true;
      }
      return false;
    };
    const out: string[] = [];
    if (document.documentElement.scrollWidth > width) {
      out.push(`the page is ${document.documentElement.scrollWidth} px wide`);
    }
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0 || r.right <= width + 1) continue;
      if (!scrolls(el)) out.push(`<${el.tagName.toLowerCase()} class="${el.className}"> ends at ${Math.round(r.right)} px`);
    }
    return out.slice(0, 5);
  }, WIDTH);
}

async function fits(page: Page, path: string) {
  await open(page, path);
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  expect(await cutOff(page), path).toEqual([]);
}

test("each panel's main pages fit a 360 px screen", async ({ browser, request }) => {
  const id = unique();
  const shop = await activeReseller(request, browser, id, 'Narrow');
  const placed = await placeOrder(request, shop.key, shop.secret, {
    customer: { external_id: `narrow-${id}`, name: 'Nora Narrow' },
    lines: [{ product_id: shop.product.id, term: 'monthly', quantity: 2 }],
  });
  expect(placed.status()).toBe(201);
  const order = (await placed.json()).id as string;
  const service = ((await placed.json()).service_ids as string[])[0];

  const context = await browser.newContext({ viewport: { width: WIDTH, height: 740 } });
  const page = await context.newPage();
  await signInClient(page, shop.email);
  for (const path of [
    '/portal',
    '/portal/orders',
    `/portal/orders/${order}`,
    '/portal/services',
    `/portal/services/${service}`,
    '/portal/products',
    '/portal/customers',
    '/portal/billing',
    '/portal/api-settings',
    '/portal/api-settings/webhook',
    '/portal/api-settings/guide',
    '/portal/program',
  ]) {
    await fits(page, path);
  }
  await context.close();

  const adminContext = await browser.newContext({ viewport: { width: WIDTH, height: 740 } });
  const admin = await adminContext.newPage();
  await signInOperator(admin);
  for (const path of [
    '/admin/resellers',
    `/admin/resellers/${shop.reseller}`,
    `/admin/resellers/${shop.reseller}/services`,
    `/admin/services/${service}`,
    `/admin/resellers/${shop.reseller}/price-book`,
    '/admin/products',
    `/admin/products/${shop.product.id}`,
    '/admin/provisioning',
    '/admin/api-logs',
    '/admin/webhooks',
    '/admin/audit-log',
  ]) {
    await fits(admin, path);
  }
  await adminContext.close();
});
