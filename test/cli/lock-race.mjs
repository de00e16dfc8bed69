// A child process of test/cli/journal.test.ts: for each trial i, waits for the trial's time slot, then tries once to
// take the lock `<dir>/<i>.lock` (seeded stale by the parent) and, if it got it, keeps it until the process ends.
// Prints the trials it won, one number a line. argv: <module> <dir> <trials> <startAt> <slotMs>
// <module> exports JournalLock (dist/src/cli/lock.js), or is an old journal.js exporting Journal (to show the race).
// <startAt> "-": handshake with the parent on stdin/stdout instead of guessing how long start-up takes: print
// "ready" once loaded, read startAt as the first line of stdin, print "done" after the last trial, and keep the locks
// won until stdin ends (the parent ends it once every process is done).
import readline from "node:readline";

const [modulePath, dir, trials, startArg, slotMs] = process.argv.slice(2);
const mod = await import(modulePath);
const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const lines = startArg === "-" ? readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]() : null;
if (lines) process.stdout.write("ready\n");
const startAt = lines ? Number((await lines.next()).value) : Number(startArg);
const held = [];
for (let i = 0; i < Number(trials); i++) {
  await sleep(startAt + i * Number(slotMs) - Date.now());
  try {
    if (mod.JournalLock) held.push(mod.JournalLock.acquire(`${dir}/${i}.lock`, `trial ${i}`));
    else held.push(mod.Journal.open(`${dir}/${i}`));
    process.stdout.write(`${i}\n`);
  } catch {
    // held by another: fine
  }
}
// Keep every lock won until all the processes are done trying.
if (lines) {
  process.stdout.write("done\n");
  while (!(await lines.next()).done);
} else {
  await sleep(startAt + Number(trials) * Number(slotMs) + 500 - Date.now());
}
