/**
 * The attacks section alone: node infra/build/run.mjs bench/attacks-main.ts [capSeconds]
 * The attack table, then the render budget in Lambda and the servers' capacity (attacks-capacity.ts).
 */
import { benchCapacity, benchLambdaRenderer } from './attacks-capacity.ts';
import { benchAttacks } from './attacks.ts';

const results = await benchAttacks(Number(process.argv.at(-1)) || 20);
console.table(results);
console.log(JSON.stringify({ lambda: await benchLambdaRenderer(), capacity: await benchCapacity() }, null, 2));
