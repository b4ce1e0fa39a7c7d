#!/usr/bin/env node
// Loads a packaged function the way Lambda does (require index.js, call exports.handler once) and
// prints {result, loadMs, answerMs} as JSON. Usage: node invoke.cjs <unzipped dir> <event.json>
// Run it on an unzipped package outside the project: the function then has only what its zip holds.
'use strict';
const { readFileSync } = require('node:fs');
const path = require('node:path');

const [dir, eventFile] = process.argv.slice(2);
if (!dir || !eventFile) {
  console.error(`Expected <unzipped dir> <event.json> for invoke.cjs but received ${JSON.stringify(process.argv.slice(2))}`);
  process.exit(2);
}
const event = JSON.parse(readFileSync(eventFile, 'utf8'));
const started = process.hrtime.bigint();
// Lambda's runtime reports an error thrown while loading the module by its message; do the same (Node's
// own report of an uncaught throw prints the minified source line and can leave the message out).
let handler;
try {
  ({ handler } = require(path.resolve(dir, 'index.js')));
} catch (error) {
  console.error(error?.stack ? error.stack : String(error));
  process.exit(1);
}
const loaded = process.hrtime.bigint();
Promise.resolve(handler(event, { functionName: path.basename(dir), awsRequestId: 'invoke-cjs' }))
  .then((result) => {
    const answered = process.hrtime.bigint();
    process.stdout.write(
      `${JSON.stringify({
        result,
        loadMs: Number(loaded - started) / 1e6,
        answerMs: Number(answered - loaded) / 1e6,
      })}\n`,
    );
  })
  .catch((error) => {
    console.error(error?.stack ? error.stack : String(error));
    process.exit(1);
  });
