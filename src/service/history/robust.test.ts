import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mad, mannKendall, median, normalCdf, robustZ, theilSen, thin } from './robust.js';

describe('robust statistics', () => {
  test('median and MAD', () => {
    assert.equal(median([]), null);
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.equal(mad([1, 1, 2, 2, 4, 6, 9]), 1);
    assert.equal(mad([]), null);
  });

  test('robust z uses the MAD floor', () => {
    assert.equal(robustZ(12, 10, 1, 0), 0.6745 * 2);
    assert.equal(robustZ(12, 10, 0.1, 2), 0.6745);
    assert.equal(robustZ(12, 10, 0, 0), 0);
  });

  test('Theil–Sen ignores outliers that would drag least squares', () => {
    const xs = Array.from({ length: 20 }, (_, i) => i);
    const ys = xs.map((x) => 5 + 2 * x);
    ys[3] = 500;
    ys[17] = -300;
    const fit = theilSen(xs, ys);
    assert.ok(fit);
    assert.ok(Math.abs(fit.slope - 2) < 1e-9);
    assert.ok(Math.abs(fit.intercept - 5) < 1e-9);
    assert.equal(theilSen([1, 1, 1], [1, 2, 3]), null, 'no pair with distinct x');
  });

  test('Mann–Kendall: monotonic, flat and tied series', () => {
    const up = mannKendall(Array.from({ length: 10 }, (_, i) => i));
    assert.ok(up);
    assert.equal(up.s, 45);
    assert.equal(up.tau, 1);
    assert.ok(up.p < 0.001);
    const flat = mannKendall([5, 5, 5, 5, 5]);
    assert.ok(flat);
    assert.equal(flat.s, 0);
    assert.equal(flat.p, 1);
    const zigzag = mannKendall([1, 3, 2, 4, 3, 5, 4, 3, 2, 4, 3, 2]);
    assert.ok(zigzag);
    assert.ok(zigzag.p > 0.05);
    assert.equal(mannKendall([1, 2]), null);
  });

  test('normal CDF', () => {
    assert.ok(Math.abs(normalCdf(0) - 0.5) < 1e-7);
    assert.ok(Math.abs(normalCdf(1.959964) - 0.975) < 1e-6);
    assert.ok(Math.abs(normalCdf(-1.959964) - 0.025) < 1e-6);
  });

  test('thin keeps the ends and spacing', () => {
    assert.deepEqual(thin([1, 2, 3], 5), [1, 2, 3]);
    const out = thin(
      Array.from({ length: 1001 }, (_, i) => i),
      11,
    );
    assert.deepEqual(out, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });
});
