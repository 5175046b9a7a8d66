// check-pages: axe-core (no serious or critical violation) and a 375x667 screen (no horizontal
// scroll) on each page of args.pages ([{name, url, expectPath}]), signed in with args.state when
// given. Exits non-zero listing every problem.
'use strict';

const { args, main, checkPages, step } = require('./lib');

main(async (browser) => {
  const problems = await checkPages(browser, args.state, args.pages || []);
  if (problems.length) throw new Error(`${problems.length} problem(s):\n  ${problems.join('\n  ')}`);
  step(`${(args.pages || []).length} page(s) pass axe and fit a phone`);
});
