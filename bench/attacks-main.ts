/** The attack table alone: node infra/build/run.mjs bench/attacks-main.ts [capSeconds] */
import { benchAttacks } from './attacks.ts';

const results = await benchAttacks(Number(process.argv.at(-1)) || 20);
console.table(results);
