// The dashboard's and the mesh page's readings of server answers (src/pages/*.ts).
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadSource } from './load.mjs';

let dashboard;
let mesh;
before(async () => {
  dashboard = await loadSource('src/pages/dashboard.ts');
  mesh = await loadSource('src/pages/mesh.ts');
});

test('stage shares from a list, from an object, and from percent or seconds', () => {
  assert.deepEqual(dashboard.stageShares({ stages: [{ name: 'export', avg_percent: 3, mean_s: 0.05 }] }),
    [{ name: 'export', percent: 3, seconds: 0.05 }]);
  assert.deepEqual(dashboard.stageShares({ stages: { shape_generation: { mean_s: 1.2 } }, stage_shares: { shape_generation: 0.6 } }),
    [{ name: 'shape_generation', percent: 0.6, seconds: 1.2 }]);
  assert.deepEqual(dashboard.stageShares({ stages: [{ stage: 'export', share: 0.25 }] }),
    [{ name: 'export', percent: 25, seconds: null }]);
  assert.deepEqual(dashboard.stageShares(null), []);
  assert.deepEqual(dashboard.stageShares({ stages: 'nonsense' }), []);
});

test('memory in MiB or GiB', () => {
  assert.equal(dashboard.formatMb(null), '–');
  assert.equal(dashboard.formatMb(512), '512 MiB');
  assert.equal(dashboard.formatMb(81920), '80.0 GiB');
});

test('an analysis report as table rows', () => {
  const rows = mesh.reportRows({
    watertight: true, faces: 1200, volume: 12.3456789,
    bounding_box: { size: [10, 20, 30.5] },
    self_intersections: { pairs: 0, examples: [] },
  });
  assert.deepEqual(rows, [
    ['watertight', 'yes'],
    ['faces', '1200'],
    ['volume', '12.3457'],
    ['bounding box · size', '10 × 20 × 30.5'],
    ['self intersections · pairs', '0'],
    ['self intersections · examples', 'none'],
  ]);
});
