// Shared by booksync's browser tests: launching Debian's chromium through playwright-core,
// waiting for conditions, and the checks every page passes (axe-core, a phone-sized screen).
//
// The scripts are run by the Go tests in internal/app (see browser_test.go there), which pass
// their arguments as JSON in BOOKSYNC_E2E_ARGS and show the scripts' output only when they fail.
'use strict';

const fs = require('node:fs');
const path = require('node:path');
const { chromium } = require('playwright-core');

// patience bounds a single wait for something the page must do (a redirect, a row turning
// `done`). It is generous because the tests share a loaded machine; a wait ends as soon as its
// condition holds, so a healthy run never comes near it.
const patience = Number(process.env.BOOKSYNC_E2E_PATIENCE_MS || 180000);

// args are the Go test's arguments for this run.
const args = JSON.parse(process.env.BOOKSYNC_E2E_ARGS || '{}');

// step logs what the script is doing, so a failure's output says where it stopped.
function step(what) {
  console.log(`[${new Date().toISOString().slice(11, 23)}] ${what}`);
}

// launch starts headless chromium: BOOKSYNC_CHROMIUM or Debian's /usr/bin/chromium.
async function launch() {
  const executablePath = process.env.BOOKSYNC_CHROMIUM || '/usr/bin/chromium';
  const browser = await chromium.launch({
    executablePath,
    headless: true,
    timeout: patience,
    // --no-sandbox: the tests run as root in CI, where chromium's sandbox refuses to start. The
    // rest keep chromium off the network: the machine reaches no host but localhost.
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  step(`chromium ${browser.version()} from ${executablePath}`);
  return browser;
}

// newPage opens a page in a fresh context (its own cookies) with the tests' timeouts. state is
// the path of a storage state file to start from and keep (a signed-in session), or undefined.
async function newPage(browser, { state, viewport } = {}) {
  const opts = { viewport: viewport || { width: 1280, height: 900 } };
  if (state && fs.existsSync(state)) opts.storageState = state;
  const context = await browser.newContext(opts);
  context.setDefaultTimeout(patience);
  context.setDefaultNavigationTimeout(patience);
  const page = await context.newPage();
  page.on('pageerror', (err) => console.log(`page error on ${page.url()}: ${err.message}`));
  page.on('response', (resp) => {
    if (resp.status() >= 400) console.log(`${resp.status()} for ${resp.request().method()} ${resp.url()}`);
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') console.log(`console error on ${page.url()}: ${msg.text()}`);
  });
  return page;
}

// saveState keeps the page's cookies for the next script of the same test.
async function saveState(page, state) {
  if (state) await page.context().storageState({ path: state });
}

const axeSource = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

// checkA11y runs axe-core on the page (WCAG 2.x A and AA rules and best practices) and returns
// the serious and critical violations, described for a failure message.
async function checkA11y(page, name) {
  // Evaluated through the DevTools protocol, not added as a <script>: the dashboard's
  // Content-Security-Policy (script-src 'self') rightly refuses inline scripts.
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    return axe.run(document, { resultTypes: ['violations'] });
  });
  const bad = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  return bad.map((v) => `${name}: ${v.impact} ${v.id}: ${v.help} (${v.helpUrl}); on: ` +
    v.nodes.slice(0, 5).map((n) => n.target.join(' ') + (n.failureSummary ? ` [${n.failureSummary.replace(/\s+/g, ' ')}]` : '')).join('; '));
}

// horizontalOverflow returns how many CSS pixels the page is wider than the window (0 when it
// fits), with the widest elements that stick out, for a failure message.
async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const over = doc.scrollWidth - doc.clientWidth;
    if (over <= 0) return { over: 0, culprits: [] };
    // An element sticks out when it reaches past the window and no ancestor scrolls or clips it.
    const clipped = (node) => {
      for (let a = node.parentElement; a && a !== document.body; a = a.parentElement) {
        if (getComputedStyle(a).overflowX !== 'visible') return true;
      }
      return false;
    };
    const culprits = [];
    for (const el of document.body.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.right > doc.clientWidth && !clipped(el)) {
        culprits.push(`${el.tagName.toLowerCase()}${el.id ? '#' + el.id : ''}${el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : ''} (right edge ${Math.round(r.right)})`);
      }
    }
    // Text can run out of a box that itself fits (a long word, an id in an error's fix).
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n && culprits.length < 8; n = walker.nextNode()) {
      if (!n.textContent.trim() || clipped(n)) continue;
      const range = document.createRange();
      range.selectNodeContents(n);
      const r = range.getBoundingClientRect();
      if (r.right > doc.clientWidth) {
        culprits.push(`text ${JSON.stringify(n.textContent.trim().slice(0, 60))} in ${n.parentElement.tagName.toLowerCase()} (right edge ${Math.round(r.right)})`);
      }
    }
    return { over, culprits: culprits.slice(0, 8) };
  });
}

// phone is the viewport of a small phone (iPhone SE).
const phone = { width: 375, height: 667 };

// checkPages opens each page (objects {name, url}) at desktop size and at a phone's, runs axe on
// it and measures horizontal overflow at the phone size; it returns every problem found.
async function checkPages(browser, state, pages) {
  const problems = [];
  for (const viewport of [undefined, phone]) {
    const page = await newPage(browser, { state, viewport });
    for (const p of pages) {
      const size = viewport ? `${viewport.width}x${viewport.height}` : 'desktop';
      step(`checking ${p.name} (${size}): ${p.url}`);
      const resp = await page.goto(p.url, { waitUntil: 'load' });
      if (!resp || resp.status() >= 400) {
        problems.push(`${p.name}: GET ${p.url} answered ${resp ? resp.status() : 'nothing'}`);
        continue;
      }
      if (p.expectPath && !new URL(page.url()).pathname.startsWith(p.expectPath)) {
        problems.push(`${p.name}: ${p.url} ended at ${page.url()}, want a path under ${p.expectPath}`);
        continue;
      }
      problems.push(...(await checkA11y(page, `${p.name} (${size})`)));
      if (viewport) {
        const { over, culprits } = await horizontalOverflow(page);
        if (over > 0) problems.push(`${p.name}: ${over}px of horizontal scroll at ${size}; sticking out: ${culprits.join(', ')}`);
      }
    }
    await page.context().close();
  }
  return problems;
}

// main runs a script's body with a browser and exits non-zero when it throws, with the error.
function main(body) {
  (async () => {
    const browser = await launch();
    try {
      await body(browser);
    } finally {
      await browser.close();
    }
  })().then(() => process.exit(0), (err) => {
    console.log(`FAILED: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  });
}

module.exports = {
  args, patience, phone, step, launch, newPage, saveState, checkA11y,
  horizontalOverflow, checkPages, main, path,
};
