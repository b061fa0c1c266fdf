import { CDPSession, expect, Page, test } from '@playwright/test';
import { open } from './fixtures';

// What a browser downloads for the first page of each panel with an empty
// cache (HTML, JS, wasm, CSS, as sent: compressed, headers included), and
// that a reload downloads none of /pkg again (hashed names, immutable).
// README "First load" has the figures; the budget is the goal the page must
// not grow past (see docs/DESIGN.md "Assets"). Raised from 740 KB for the
// provisioning pages (issue 22: 758 KB measured), then for the service
// page's cancel and change forms (issue 23: 818 KB measured), then for the
// price-book tab's scheduled changes and bulk form (issue 24: 877 KB
// measured); issue 26
// splits the wasm per panel and route and brings it down to the 300 KB goal.
const FIRST_LOAD_BUDGET_BYTES = 900 * 1024;
const FIRST_PAGES = ['/admin/login', '/portal/login'];

interface Transfer {
  url: string;
  bytes: number;
  fromCache: boolean;
}

/** Records every response's bytes on the wire (Chrome DevTools Protocol). */
async function recordTransfers(page: Page): Promise<Map<string, Transfer>> {
  const client: CDPSession = await page.context().newCDPSession(page);
  await client.send('Network.enable');
  await client.send('Network.setCacheDisabled', { cacheDisabled: false });
  const transfers = new Map<string, Transfer>();
  const entry = (id: string) => {
    if (!transfers.has(id)) transfers.set(id, { url: '', bytes: 0, fromCache: false });
    return transfers.get(id)!;
  };
  client.on('Network.requestWillBeSent', (e) => {
    entry(e.requestId).url = e.request.url;
  });
  client.on('Network.requestServedFromCache', (e) => {
    entry(e.requestId).fromCache = true;
  });
  client.on('Network.responseReceived', (e) => {
    const t = entry(e.requestId);
    t.url = e.response.url;
    if (e.response.fromDiskCache || e.response.fromPrefetchCache) t.fromCache = true;
  });
  client.on('Network.loadingFinished', (e) => {
    entry(e.requestId).bytes = e.encodedDataLength;
  });
  return transfers;
}

const pkgDownloads = (transfers: Map<string, Transfer>) =>
  [...transfers.values()].filter((t) => new URL(t.url, 'http://x').pathname.startsWith('/pkg/'));

for (const path of FIRST_PAGES) {
  test(`${path}: first load within budget, compressed, then nothing downloaded again`, async ({ page }) => {
    const violations: string[] = [];
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) violations.push(message.text());
    });
    const responses: { url: string; headers: Record<string, string> }[] = [];
    page.on('response', (response) => responses.push({ url: response.url(), headers: response.headers() }));

    const transfers = await recordTransfers(page);
    await open(page, path);

    const total = [...transfers.values()].reduce((sum, t) => sum + t.bytes, 0);
    const pkg = pkgDownloads(transfers);
    const kinds = pkg.map((t) => t.url.split('.').pop());
    expect(kinds.sort()).toEqual(['css', 'js', 'wasm']);
    console.log(`${path}: ${total} bytes on first load (${pkg.map((t) => `${t.url.split('/').pop()} ${t.bytes}`).join(', ')})`);
    expect(total).toBeGreaterThan(10_000);
    expect(total).toBeLessThanOrEqual(FIRST_LOAD_BUDGET_BYTES);

    // Hashed names, sent compressed and cacheable for a year; the page
    // itself is never stored and carries a policy with this response's nonce.
    for (const { url, headers } of responses.filter((r) => r.url.includes('/pkg/'))) {
      expect(url).toMatch(/\/pkg\/fluxbilling\.[0-9a-f]{20}\.(js|wasm|css)$/);
      expect(headers['content-encoding']).toBe('br');
      expect(headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    const document = responses.find((r) => new URL(r.url).pathname === path)!;
    expect(document.headers['cache-control']).toBe('no-store');
    const policy = document.headers['content-security-policy'];
    expect(policy).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9_-]+' 'wasm-unsafe-eval'/);
    expect(policy).not.toContain('unsafe-inline');
    // Each response has its own nonce, and the page's scripts carry it (the
    // browser hides a nonce attribute once applied: read the HTML itself).
    const fetched = await page.request.get(path);
    const fetchedNonce = /'nonce-([A-Za-z0-9_-]+)'/.exec(fetched.headers()['content-security-policy'])![1];
    expect(policy).not.toContain(fetchedNonce);
    const html = await fetched.text();
    const scripts = html.match(/<script[^>]*>/g) ?? [];
    expect(scripts.length).toBeGreaterThan(0);
    for (const script of scripts) expect(script).toContain(`nonce="${fetchedNonce}"`);
    expect(violations).toEqual([]);

    // A reload: the page again, /pkg from the cache (nothing on the wire).
    transfers.clear();
    await page.reload();
    await expect(page.locator('body')).toHaveAttribute('data-hydrated', 'true');
    const again = pkgDownloads(transfers).filter((t) => !t.fromCache);
    expect(again.reduce((sum, t) => sum + t.bytes, 0)).toBe(0);
    expect(violations).toEqual([]);
  });
}
