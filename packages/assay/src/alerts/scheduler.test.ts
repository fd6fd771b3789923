import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Scheduler } from './scheduler.js';

const waitFor = async (cond: () => boolean) => {
  while (!cond()) await new Promise((r) => setTimeout(r, 5));
};

test('runs repeatedly, never overlapping, survives a failing run, and stops', async () => {
  let runs = 0;
  let active = 0;
  let maxActive = 0;
  const logs: string[] = [];
  const s = new Scheduler(
    async () => {
      runs++;
      active++;
      maxActive = Math.max(maxActive, active);
      await new Promise((r) => setTimeout(r, 15)); // longer than the interval
      active--;
      if (runs === 2) throw new Error('boom');
    },
    5,
    (m) => logs.push(m),
  );
  s.start();
  const manual = s.runNow(); // joins or starts a run, never a second one at once
  await waitFor(() => runs >= 5);
  await manual;
  await s.stop();
  const after = runs;
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(runs, after, 'no run after stop()');
  assert.equal(active, 0, 'stop() waited for the run under way');
  assert.equal(maxActive, 1);
  assert.ok(logs.some((l) => /boom/.test(l)));
});
