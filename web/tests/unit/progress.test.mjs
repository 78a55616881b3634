// How server messages move a job's progress (src/progress.ts), with the shapes the API sends.
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { loadSource } from './load.mjs';

let p;
before(async () => {
  p = await loadSource('src/progress.ts');
});

test('WebSocket events take a job from queued through the stages to completed', () => {
  let s = p.initialProgress('j1');
  s = p.applyEvent(s, { type: 'queued', job: 'j1', position: 2 });
  assert.equal(s.status, 'queued');
  assert.equal(s.position, 2);
  s = p.applyEvent(s, { type: 'started', job: 'j1' });
  assert.equal(s.status, 'running');
  assert.equal(s.position, null);
  s = p.applyEvent(s, { type: 'progress', job: 'j1', stage: 'shape_generation', step: 3, steps: 8, percent: 41.5, eta_s: 2.1 });
  assert.deepEqual([s.stage, s.step, s.steps, s.percent, s.etaSeconds], ['shape_generation', 3, 8, 41.5, 2.1]);
  s = p.applyEvent(s, { type: 'progress', job: 'j1', stage: 'mesh_extraction', percent: 60, eta_s: null });
  assert.equal(s.etaSeconds, null);
  s = p.applyEvent(s, {
    type: 'completed', job: 'j1', result_url: '/api/jobs/j1/result',
    profile: { total_s: 1.5, stages: [{ name: 'shape_generation', seconds: 1.0 }, { name: 'export', seconds: 0.5 }] },
  });
  assert.equal(s.status, 'completed');
  assert.equal(s.percent, 100);
  assert.equal(s.resultUrl, '/api/jobs/j1/result');
  assert.deepEqual(s.profile, { totalSeconds: 1.5, stages: [{ name: 'shape_generation', seconds: 1 }, { name: 'export', seconds: 0.5 }] });
});

test('progress never falls, ignores other jobs and nothing reopens a finished job', () => {
  let s = p.applyEvent(p.initialProgress('j1'), { type: 'progress', job: 'j1', stage: 'export', percent: 80 });
  s = p.applyEvent(s, { type: 'progress', job: 'j1', stage: 'export', percent: 70 });
  assert.equal(s.percent, 80);
  assert.equal(p.applyEvent(s, { type: 'progress', job: 'other', percent: 99 }), s);
  assert.equal(p.applyEvent(s, 'not an object'), s);
  assert.equal(p.applyEvent(s, { type: 'mystery', job: 'j1' }), s);
  const failed = p.applyEvent(s, { type: 'failed', job: 'j1', error: { code: 'out_of_memory', message: 'GPU full' }, retryable: true });
  assert.deepEqual([failed.status, failed.error, failed.retryable], ['failed', { code: 'out_of_memory', message: 'GPU full' }, true]);
  assert.equal(p.applyEvent(failed, { type: 'completed', job: 'j1' }), failed);
  assert.equal(p.applyEvent(s, { type: 'failed', job: 'j1' }).error.message, 'The job failed.');  // no error object
});

test('polled job records give the same states, links.result preferred', () => {
  let s = p.initialProgress('j1');
  s = p.applyRecord(s, { id: 'j1', status: 'queued', position: 3 });
  assert.deepEqual([s.status, s.position], ['queued', 3]);
  s = p.applyRecord(s, { id: 'j1', status: 'running', progress: { stage: 'mesh_extraction', step: 1, steps: 2, percent: 55, eta_s: 4 } });
  assert.deepEqual([s.status, s.stage, s.percent, s.etaSeconds, s.position], ['running', 'mesh_extraction', 55, 4, null]);
  s = p.applyRecord(s, { id: 'j1', status: 'completed', links: { result: '/api/jobs/j1/result?x=1' } });
  assert.deepEqual([s.status, s.percent, s.resultUrl], ['completed', 100, '/api/jobs/j1/result?x=1']);
  const bare = p.applyRecord(p.initialProgress('j2'), { id: 'j2', status: 'completed' });
  assert.equal(bare.resultUrl, '/api/jobs/j2/result');
  assert.equal(p.applyRecord(p.initialProgress('j3'), { status: 'weird' }).status, 'submitting');
  const failed = p.applyRecord(p.initialProgress('j4'), { id: 'j4', status: 'failed', error: { code: 'no_foreground', message: 'empty image' } });
  assert.deepEqual(failed.error, { code: 'no_foreground', message: 'empty image' });
});

test('stage labels and ETA wording', () => {
  assert.equal(p.stageLabel('shape_generation'), 'Generating the shape');
  assert.equal(p.stageLabel('some_new_stage'), 'some new stage');
  assert.equal(p.kStages.length, 6);
  assert.equal(p.formatEta(null), '');
  assert.equal(p.formatEta(0.3), 'less than a second left');
  assert.equal(p.formatEta(12.4), 'about 12 s left');
  assert.equal(p.formatEta(600), 'about 10 min left');
});
