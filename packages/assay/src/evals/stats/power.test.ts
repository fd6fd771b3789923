import { test } from 'node:test';
import assert from 'node:assert/strict';
import { minimumDetectableEffect, minimumDetectableMeanDiff, powerMultiplier, powerWarning, underpowered } from './power.js';

const close = (actual: number | null, expected: number, tol: number, msg?: string) =>
  assert.ok(actual !== null && Math.abs(actual - expected) <= tol, `${msg ?? ''} expected ${expected}, got ${actual}`);

test('the 2.8 multiplier is z_{0.975} + z_{0.8}', () => {
  // 1.959964 + 0.841621 = 2.801585
  close(powerMultiplier(), 2.801585, 1e-6);
  // α = 0.01, power 0.9: 2.575829 + 1.281552 = 3.857381
  close(powerMultiplier({ alpha: 0.01, power: 0.9 }), 3.857381, 1e-6);
  assert.throws(() => powerMultiplier({ alpha: 0 }), RangeError);
  assert.throws(() => powerMultiplier({ power: 1 }), RangeError);
});

test('MDE for pass rates: p = 0.8, n = 100 gives about 0.16 (reference example)', () => {
  // 2.801585 · √(2·0.8·0.2/100) = 2.801585 · √0.0032 = 2.801585 · 0.0565685 = 0.158481
  close(minimumDetectableEffect(0.8, 100), 0.158481, 1e-6);
  // p = 0.5, n = 20: 2.801585 · √(0.5/20) = 2.801585 · 0.1581139 = 0.442970
  close(minimumDetectableEffect(0.5, 20), 0.442970, 1e-6);
  // four times the items halve the MDE
  close(minimumDetectableEffect(0.5, 80), 0.442970 / 2, 1e-6);
  assert.equal(minimumDetectableEffect(0.5, 0), null);
  assert.equal(minimumDetectableEffect(1, 50), 0);
});

test('MDE for paired scores: sd of differences 0.2 over 16 items', () => {
  // 2.801585 · 0.2/√16 = 0.560317/4 = 0.140079
  close(minimumDetectableMeanDiff(0.2, 16), 0.140079, 1e-6);
  assert.equal(minimumDetectableMeanDiff(0.2, 0), null);
});

test('underpowered: a warning with the MDE when the difference is under it, else null', () => {
  // p = 0.9, n = 20: 2.801585 · √(0.18/20) = 2.801585 · 0.0948683 = 0.265782
  const w = underpowered(0.1, 0.9, 20);
  assert.ok(w);
  close(w.mde, 0.265782, 1e-6);
  assert.equal(w.message, 'with 20 items, differences under 0.27 cannot be told from noise (80% power, α = 0.05)');
  assert.ok(underpowered(-0.2, 0.9, 20), 'the sign of the difference does not matter');
  assert.equal(underpowered(0.3, 0.9, 20), null);
  assert.equal(underpowered(-0.3, 0.9, 20), null);
  assert.equal(
    underpowered(0.1, 0.5, 20, { alpha: 0.01, power: 0.9 })?.message,
    // 3.857381 · 0.1581139 = 0.609910
    'with 20 items, differences under 0.61 cannot be told from noise (90% power, α = 0.01)',
  );
  assert.equal(powerWarning(0.01, 0.05, 1)?.message, 'with 1 item, differences under 0.05 cannot be told from noise (80% power, α = 0.05)');
  assert.deepEqual(underpowered(0, 0.5, 0), { mde: null, message: 'no shared items: the variants cannot be compared' });
});
