import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = path.resolve(import.meta.dirname, '../artifacts');

/** Debian's chromium, headless, with the flags that keep it off the (closed) network. */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`No chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM_PATH)`);
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
}

/** Collects console errors and page errors: a clean UI produces none. */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
  return errors;
}

/**
 * A screen a test reached: saved as an image for people to look at, and checked with axe-core (expectAccessible),
 * so every page and state the browser tests show is held to WCAG 2.1 AA.
 */
export async function showScreen(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
  await expectAccessible(page, name);
}

export interface BrowserSession {
  web: Awaited<ReturnType<typeof import('../../main/cli/commands/serve').serveWeb>>;
  page: Page;
  errors: string[];
  dir: string;
  close(): Promise<void>;
}

/**
 * Web mode on a fresh data folder plus a Chromium page watching for errors: what every browser test starts from.
 * `prepare` runs after the server starts and before the browser opens (to seed data).
 */
export async function startBrowserSession(
  prefix: string,
  prepare?: (s: Pick<BrowserSession, 'web' | 'dir'>) => Promise<void>,
  viewport = { width: 1280, height: 900 },
): Promise<BrowserSession> {
  const { serveWeb } = await import('../../main/cli/commands/serve');
  const { appRoot } = await import('../../main/paths');
  const { tempDir } = await import('./tmp');
  if (!existsSync(path.join(appRoot(), 'dist', 'renderer', 'index.html'))) throw new Error('Build the UI first: npm run build');
  const tmp = tempDir(prefix);
  const web = await serveWeb({ dataDir: path.join(tmp.dir, 'data') });
  await prepare?.({ web, dir: tmp.dir });
  const browser = await launchBrowser();
  // A context of its own, so a test can open a second window sharing the first one's storage (a new launch).
  const page = await (await browser.newContext({ viewport })).newPage();
  const errors = watchErrors(page);
  return {
    web,
    page,
    errors,
    dir: tmp.dir,
    close: async () => {
      await browser.close();
      await web.stop();
      tmp.cleanup();
    },
  };
}

/**
 * The Train page's YAML editor (CodeMirror, not a textarea): its text as its lines show it (a config fits the
 * rendered viewport), and replacing all of it as a user selecting all and pasting would.
 */
export function yamlEditor(page: Page) {
  const content = page.locator('[data-testid=yaml-editor] .cm-content');
  return {
    content,
    value: () =>
      content.evaluate((el) =>
        Array.from(el.querySelectorAll('.cm-line'))
          .map((l) => l.textContent ?? '')
          .join('\n'),
      ),
    async fill(text: string) {
      await content.click();
      await page.keyboard.press('Control+A');
      await page.keyboard.insertText(text);
    },
  };
}

/**
 * WCAG's contrast ratio of an element's text against its background (the first opaque background up its
 * ancestors), from the computed colours.
 */
export async function textContrast(page: Page, selector: string): Promise<number> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      const rgb = (c: string) => (c.match(/[\d.]+/g) ?? []).map(Number);
      const luminance = ([r, g, b]: number[]) => {
        const lin = (v: number) => {
          const s = v / 255;
          return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
        };
        return 0.2126 * lin(r!) + 0.7152 * lin(g!) + 0.0722 * lin(b!);
      };
      let bg: number[] = [255, 255, 255];
      for (let e: Element | null = el; e; e = e.parentElement) {
        const c = rgb(getComputedStyle(e).backgroundColor);
        if (c.length >= 3 && (c.length < 4 || c[3]! > 0.5)) {
          bg = c;
          break;
        }
      }
      const [a, b] = [luminance(rgb(getComputedStyle(el).color)), luminance(bg)];
      return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    });
}

/**
 * axe-core's WCAG 2.1 A/AA rules on the page as it stands: no serious or critical violation (a control without a
 * name, text under 4.5:1, an image without an alternative…). Each one is listed with the elements it names.
 */
export async function expectAccessible(page: Page, where: string): Promise<void> {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const { violations } = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const grave = violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${where}: ${v.impact} ${v.id} (${v.help}) at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  if (grave.length) throw new Error(grave.join('\n'));
}
