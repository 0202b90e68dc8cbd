// The peer's side of bench/peer: runs a state machine definition N times in
// aws-local-stepfunctions with no-op local handlers for every Task, either
// one after another or all at once, consuming every execution's event log
// (the peer's history), and prints {"executions","seconds","cpuSeconds",
// "events"} as JSON (cpuSeconds: user and system time of the whole process).
//
// usage: node peer.mjs <definition.json> <n> <sequential|concurrent>
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

// The peer lives in a scratch prefix (run.sh installs it), not in the
// project's node_modules: PEER_DEPS names that prefix.
const deps = process.env.PEER_DEPS ?? new URL('./.deps', import.meta.url).pathname;
const { StateMachine } = await import(
  pathToFileURL(`${deps}/node_modules/aws-local-stepfunctions/build/main.node.esm.js`).href);

const [defPath, nArg, mode] = process.argv.slice(2);
const n = Number(nArg);
if (!defPath || !(n > 0) || !['sequential', 'concurrent'].includes(mode)) {
  console.error('usage: node peer.mjs <definition.json> <n> <sequential|concurrent>');
  process.exit(2);
}
const definition = JSON.parse(readFileSync(defPath, 'utf8'));
// The same canned results the Go side's no-op invokers return.
const results = JSON.parse(readFileSync(new URL('./results.json', import.meta.url), 'utf8'));
const handlers = {};
for (const [name, state] of Object.entries(definition.States)) {
  if (state.Type === 'Task') handlers[name] = () => results[name] ?? {};
}
const machine = new StateMachine(definition, { validationOptions: { checkArn: false } });

async function once(i) {
  const name = `exec-${i}`;
  const context = {
    Execution: { Id: `arn:aws:states:us-east-1:123456789012:execution:bench:${name}`, Name: name,
      StartTime: new Date().toISOString(), Input: { records: 10 } },
    // The peer does not maintain $$.State; the definition reads
    // $$.State.RetryCount, which is 0 when no retry happens (none here).
    State: { Name: '', EnteredTime: '', RetryCount: 0 },
  };
  const run = machine.run({ records: 10 }, { overrides: { taskResourceLocalHandlers: handlers }, context });
  let events = 0;
  const drain = (async () => { for await (const _ of run.eventLogs) events++; })();
  const out = await run.result;
  await drain;
  // The peer stores ResultPath "$" under a key "$" instead of replacing
  // the state's output (a bug of the peer's), so look in both places.
  if ((out?.status ?? out?.['$']?.status) !== 'SUCCEEDED') throw new Error(`execution ${i}: unexpected output ${JSON.stringify(out)}`);
  return events;
}

// Warm up the JIT as Go's side warms its caches.
for (let i = 0; i < Math.min(50, n); i++) await once(-1 - i);

const t0 = process.hrtime.bigint();
const cpu0 = process.cpuUsage();
let events = 0;
if (mode === 'sequential') {
  for (let i = 0; i < n; i++) events += await once(i);
} else {
  const all = await Promise.all(Array.from({ length: n }, (_, i) => once(i)));
  events = all.reduce((a, b) => a + b, 0);
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
const cpu = process.cpuUsage(cpu0);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
console.log(JSON.stringify({ executions: n, seconds, cpuSeconds, events }));
