// dashboard: the dashboard's story in a real browser, one phase per run (args.phase), the Go
// test (internal/app/browser_test.go) doing what the API does between them and keeping the
// signed-in session in args.state:
//
//   connect   sign in at /dashboard/login (a wrong secret first), open the entity from the
//             overview, click "Connect Xero", Allow on the sandbox's consent page, and be back on
//             the entity's page with the connection `connected`.
//   fix       see the invoice's record in error with its message and fix on the records page, log
//             in to the Xero sandbox and add the missing tax rate on the organisation's page.
//   retry     click the record's Retry (which reads the books again before pushing a record in
//             error) and see `done` appear without the page being reloaded; the
//             invoice's page shows booksync's invoice next to the books' copy, with no difference.
//   isolation another partner, signed in, gets 404 for the first partner's entity, record and
//             invoice, and cannot retry the record.
//
// With args.screenshots (a directory), phases save docs' screenshots there as dashboard-*.png.
'use strict';

const fs = require('node:fs');
const { args, main, newPage, saveState, step, path } = require('./lib');

const base = args.url;

async function screenshot(page, name) {
  if (!args.screenshots) return;
  fs.mkdirSync(args.screenshots, { recursive: true });
  const file = path.join(args.screenshots, `dashboard-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  step(`saved ${file}`);
}

function expectPath(page, want) {
  const got = new URL(page.url()).pathname;
  if (got !== want) throw new Error(`at ${page.url()}, want path ${want}`);
}

async function signIn(page, clientID, secret) {
  step('sign in');
  await page.goto(`${base}/dashboard/login`);
  await page.getByLabel('Client ID').fill(clientID);
  await page.getByLabel('Client secret').fill(secret);
  await Promise.all([
    page.waitForURL(`${base}/dashboard/`),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
}

async function connect(browser) {
  const page = await newPage(browser);
  step('an unauthenticated page sends to the sign-in');
  await page.goto(`${base}/dashboard/`);
  expectPath(page, '/dashboard/login');

  step('a wrong secret is refused');
  await page.getByLabel('Client ID').fill(args.clientID);
  await page.getByLabel('Client secret').fill('not-the-secret');
  const [refused] = await Promise.all([
    page.waitForResponse((r) => r.url() === `${base}/dashboard/login` && r.request().method() === 'POST'),
    page.getByRole('button', { name: 'Sign in' }).click(),
  ]);
  if (refused.status() !== 401) throw new Error(`wrong secret: ${refused.status()}, want 401`);
  await page.getByText('Wrong client ID or secret').waitFor();

  await signIn(page, args.clientID, args.secret);
  step('open the entity from the overview');
  await Promise.all([
    page.waitForURL(`${base}/dashboard/entities/${args.entityID}`),
    page.locator(`a[href="/dashboard/entities/${args.entityID}"]`).first().click(),
  ]);
  await page.getByTestId('connection-status').filter({ hasText: 'not connected' }).waitFor();

  step('Connect Xero, Allow on the sandbox consent page');
  await Promise.all([
    page.waitForURL((u) => u.pathname.startsWith('/sandbox/xero/')),
    page.getByRole('button', { name: 'Connect Xero' }).click(),
  ]);
  await Promise.all([
    page.waitForURL(`${base}/dashboard/entities/${args.entityID}`),
    page.getByRole('button', { name: 'Allow access' }).click(),
  ]);
  step('back on the entity page: wait for `connected` (the page refreshes itself)');
  await page.getByTestId('connection-status').filter({ hasText: /^\s*connected\s*$/ }).waitFor();
  await saveState(page, args.state);
}

async function fix(browser) {
  const page = await newPage(browser, { state: args.state });
  step('the record is in error on the records page, with its message and fix');
  await page.goto(`${base}/dashboard/records?status=error`);
  const row = page.locator(`tr[data-testid="record-row"][data-record-id="${args.recordID}"]`);
  await row.getByTestId('record-status').filter({ hasText: 'error' }).waitFor();
  for (const want of args.errorTexts) {
    await row.getByText(want, { exact: false }).first().waitFor();
  }
  await screenshot(page, 'records');

  step('log in to the Xero sandbox and add the tax rate on the organisation page');
  const org = `${base}/sandbox/xero/orgs/${args.tenant}`;
  await page.goto(org);
  if (new URL(page.url()).pathname.endsWith('/login')) {
    await page.getByLabel('client_id').fill(args.clientID);
    await page.getByLabel('client_secret').fill(args.secret);
    await Promise.all([
      page.waitForURL(org),
      page.getByRole('button', { name: 'Log in' }).click(),
    ]);
  }
  await page.getByLabel('Name', { exact: true }).fill(args.rateName);
  await page.getByLabel('Rate %').fill(args.rate);
  await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname.endsWith('/tax_rates')),
    page.getByRole('button', { name: 'Add tax rate' }).click(),
  ]);
  await page.getByRole('cell', { name: args.rateName, exact: true }).waitFor();

  await saveState(page, args.state);
}

async function retry(browser) {
  const page = await newPage(browser, { state: args.state });
  await page.goto(`${base}/dashboard/records?entity_id=${args.entityID}`);
  const row = page.locator(`tr[data-testid="record-row"][data-record-id="${args.recordID}"]`);
  const status = row.getByTestId('record-status');
  await status.filter({ hasText: 'error' }).waitFor();
  // A reload would drop this mark: `done` must arrive in the page as it is.
  await page.evaluate(() => { window.booksyncNotReloaded = true; });
  step('click Retry');
  await row.getByRole('button', { name: 'Retry' }).click();
  step('wait for `done` in the row');
  await status.filter({ hasText: /^\s*done\s*$/ }).waitFor();
  if (!(await page.evaluate(() => window.booksyncNotReloaded === true))) {
    throw new Error('the page was reloaded on the way to `done`');
  }
  if (await row.getByText('Tax rate does not exist').count()) {
    throw new Error('the row still shows the error after `done`');
  }

  step('the overview');
  await page.goto(`${base}/dashboard/`);
  await page.getByRole('link', { name: args.entityName }).waitFor();
  await screenshot(page, 'overview');

  step('the invoice side by side with the books');
  await page.goto(`${base}/dashboard/receivables/${args.invoiceID}`);
  await page.getByText(args.invoiceNumber).first().waitFor();
  // The page reads the books' copy while it is served: it is all there once loaded.
  const diffs = await page.locator('.diff').allInnerTexts();
  if (diffs.length) throw new Error(`the invoice page highlights ${diffs.length} difference(s) for an invoice the books hold exactly: ${diffs.join(' | ')}`);
  if (!(await page.getByText(args.sameText).count())) {
    throw new Error(`the invoice page does not say ${JSON.stringify(args.sameText)}: ${await page.locator('main').innerText()}`);
  }
  await screenshot(page, 'invoice');

  step('the jobs');
  await page.goto(`${base}/dashboard/jobs`);
  await page.getByRole('heading', { name: 'Jobs', level: 1 }).waitFor();
  await screenshot(page, 'jobs');
}

async function isolation(browser) {
  const page = await newPage(browser);
  await signIn(page, args.clientID, args.secret);
  if (await page.getByText(args.otherEntityName).count()) {
    throw new Error(`the overview of another partner lists ${args.otherEntityName}`);
  }
  for (const p of [`/dashboard/entities/${args.otherEntityID}`, `/dashboard/entities/${args.otherEntityID}/connection`,
    `/dashboard/records/${args.otherRecordID}/row`, `/dashboard/receivables/${args.otherInvoiceID}`]) {
    step(`GET ${p} as another partner`);
    const resp = await page.goto(base + p);
    if (resp.status() !== 404) throw new Error(`GET ${p} as another partner: ${resp.status()}, want 404`);
    if (await page.getByText(args.otherEntityName).count()) throw new Error(`GET ${p} as another partner shows ${args.otherEntityName}`);
  }
  step('the records page filtered by the other entity lists none of its records');
  await page.goto(`${base}/dashboard/records?entity_id=${args.otherEntityID}`);
  if (await page.locator(`tr[data-record-id="${args.otherRecordID}"]`).count()) {
    throw new Error('the records page shows another partner\'s record');
  }
  step('POST retry of the other partner\'s record');
  await page.goto(`${base}/dashboard/`);
  const code = await page.evaluate(async (id) => {
    const csrf = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
    const r = await fetch(`/dashboard/records/${id}/retry`, { method: 'POST', headers: { 'X-CSRF-Token': csrf } });
    return r.status;
  }, args.otherRecordID);
  if (code !== 404) throw new Error(`POST retry of another partner's record: ${code}, want 404`);
}

const phases = { connect, fix, retry, isolation };
main(async (browser) => {
  const phase = phases[args.phase];
  if (!phase) throw new Error(`unknown phase ${JSON.stringify(args.phase)}`);
  step(`phase ${args.phase}`);
  await phase(browser);
  step(`phase ${args.phase} passed`);
});
