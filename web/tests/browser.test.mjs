// The web UI in a real browser (Debian's chromium, headless, driven by playwright-core) against a
// running `orfeas serve`: scripts/browser-test.sh starts the server and runs this file.
//
//   ORFEAS_URL=http://127.0.0.1:PORT [ORFEAS_API_KEY=key] node --test web/tests/browser.test.mjs
//
// ORFEAS_API_KEY: the server's key; the test first checks that the UI says a key is needed, then
// enters it. CHROMIUM: the browser (default /usr/bin/chromium). ORFEAS_SCREENSHOTS: a folder to
// keep the screenshots in.
import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const base = process.env.ORFEAS_URL;
const apiKey = process.env.ORFEAS_API_KEY ?? '';
const image = process.env.ORFEAS_TEST_IMAGE ?? path.join(here, '../../examples/duck.png');
const screenshots = process.env.ORFEAS_SCREENSHOTS ?? '';
const kJobTimeoutMs = 180_000;

if (!base) throw new Error('ORFEAS_URL is not set (scripts/browser-test.sh sets it)');

let browser;
// What the generate test leaves for the later ones.
let stlBytes = null;

before(async () => {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    // root in CI has no user namespace for the sandbox; WebGL runs on SwiftShader without a GPU.
    args: ['--no-sandbox', '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
});

after(async () => {
  await browser?.close();
});

// A page that records what went wrong in it: uncaught errors, console errors, failed requests.
async function openPage(viewport) {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('requestfailed', (request) => {
    // A download the test saved itself, or a socket closed on purpose, is not a failure.
    if (request.failure()?.errorText !== 'net::ERR_ABORTED') problems.push(`request failed: ${request.url()}`);
  });
  return { context, page, problems };
}

async function saveScreenshot(name, bytes) {
  if (!screenshots) return;
  await mkdir(screenshots, { recursive: true });
  await writeFile(path.join(screenshots, name), bytes);
}

// Counts in the browser (it decodes PNG; Node has no decoder without a dependency): how many
// distinct colours the screenshot has and what share of it is the model's blue.
async function pixelStats(page, png) {
  return page.evaluate(async (base64) => {
    const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const context = canvas.getContext('2d');
    context.drawImage(bitmap, 0, 0);
    const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
    const colours = new Set();
    let model = 0;
    for (let i = 0; i < data.length; i += 4) {
      colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
      if (data[i + 2] - data[i] > 45) model += 1;  // the model is blue; bed and grid are grey
    }
    return { colours: colours.size, modelShare: model / (data.length / 4), width: bitmap.width };
  }, png.toString('base64'));
}

async function enterApiKey(page) {
  await page.locator('details.key summary').click();
  await page.locator('#key-input').fill(apiKey);
  await page.locator('#key-form button[type="submit"]').click();
  await page.locator('#key-state').filter({ hasText: 'saved' }).waitFor();
  await page.locator('details.key summary').click();
}

// Submits the chosen image with `format` and waits for the job to end; checks that the progress
// bar (sampled every 100 ms: a quick job may be done before the first sample) never fell.
async function generate(page, format) {
  await page.locator('#format').selectOption(format);
  await page.locator('#quality').fill('1');
  await page.locator('#size').fill('60');
  const seen = [];
  // The click's handler resets the bar before its first await, so sampling starts at this job.
  await page.locator('#generate-button').click();
  const sampler = setInterval(() => {
    page.locator('#progress-bar').getAttribute('aria-valuenow', { timeout: 1000 })
      .then((value) => seen.push(Number(value))).catch(() => undefined);
  }, 100);
  try {
    await page.locator('#progress-bar[data-status="completed"], #progress-bar[data-status="failed"], #generate-error:not([hidden])')
      .first().waitFor({ timeout: kJobTimeoutMs });
  } finally {
    clearInterval(sampler);
  }
  const error = await page.locator('#generate-error').textContent();
  assert.equal(await page.locator('#generate-error').isHidden(), true, `the UI shows an error: ${error}`);
  assert.equal(await page.locator('#progress-bar').getAttribute('aria-valuenow'), '100');
  assert.match(await page.locator('#progress-percent').textContent(), /^100 %$/);
  assert.match(await page.locator('#progress-status').textContent(), /Done/);
  await page.locator('#viewer[data-loaded="true"]').waitFor({ timeout: 30_000 });
  seen.push(100);
  for (let i = 1; i < seen.length; ++i) assert.ok(seen[i] >= seen[i - 1], `progress fell: ${seen.join(', ')}`);
}

async function download(page) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.locator('#download-button').click()]);
  const where = await file.path();
  return { name: file.suggestedFilename(), bytes: await readFile(where), where };
}

describe('the web UI against orfeas serve', () => {
  test('Generate: upload, live progress to 100 %, the model on the bed, a valid download', async () => {
    const { context, page, problems } = await openPage({ width: 1280, height: 800 });
    const sockets = [];
    page.on('websocket', (socket) => {
      const record = { url: socket.url(), sent: [], received: [] };
      socket.on('framesent', (frame) => record.sent.push(String(frame.payload)));
      socket.on('framereceived', (frame) => record.received.push(String(frame.payload)));
      sockets.push(record);
    });
    try {
      await page.goto(base + '/');
      assert.equal(await page.title(), 'Generate — ORFEAS');
      await page.locator('#image-input').setInputFiles(image);
      await page.locator('#image-preview:not([hidden])').waitFor();

      if (apiKey) {
        // Without the key the server refuses the job, and the UI says what to do.
        await page.locator('#quality').fill('1');
        await page.locator('#generate-button').click();
        await page.locator('#generate-error:not([hidden])').waitFor();
        assert.match(await page.locator('#generate-error').textContent(), /API key/);
        problems.length = 0;  // the browser logs the 401 as an error: expected here
        await enterApiKey(page);
      }

      await generate(page, 'stl');
      await page.waitForTimeout(300);  // the first frame after the model was placed
      const canvas = page.locator('#viewer canvas');
      const shot = await canvas.screenshot();
      await saveScreenshot('generate-stl.png', shot);
      await saveScreenshot('generate-page.png', await page.screenshot({ fullPage: true }));
      const pixels = await pixelStats(page, shot);
      assert.ok(pixels.colours > 1, 'the viewer is one flat colour');
      assert.ok(pixels.modelShare > 0.01, `the model covers ${(pixels.modelShare * 100).toFixed(2)} % of the view`);
      assert.match(await page.locator('#viewer-caption').textContent(), /\d+(\.\d)? × \d+(\.\d)? × \d+(\.\d)? mm/);

      // Where the job's time went, from its profile.
      await page.locator('#profile:not([hidden]) #profile-chart svg').waitFor({ timeout: 10_000 });
      assert.ok(await page.locator('#profile-chart text.bar-value').count() >= 3, 'the job profile has fewer than 3 stages');

      const stl = await download(page);
      assert.match(stl.name, /\.stl$/);
      assert.ok(stl.bytes.length > 84, `the STL has ${stl.bytes.length} bytes`);
      const triangles = stl.bytes.readUInt32LE(80);
      assert.ok(triangles > 0, 'the STL has no triangles');
      assert.equal(stl.bytes.length, 84 + 50 * triangles, 'the binary STL size does not match its triangle count');
      stlBytes = stl.bytes;

      // The same image as GLB: the other loader, and a glTF 2.0 binary header.
      await generate(page, 'glb');
      await page.waitForTimeout(300);
      const glbShot = await canvas.screenshot();
      await saveScreenshot('generate-glb.png', glbShot);
      assert.ok((await pixelStats(page, glbShot)).colours > 1, 'the GLB view is one flat colour');
      const glb = await download(page);
      assert.match(glb.name, /\.glb$/);
      assert.equal(glb.bytes.toString('latin1', 0, 4), 'glTF');
      assert.equal(glb.bytes.readUInt32LE(4), 2, 'glTF version');
      assert.equal(glb.bytes.readUInt32LE(8), glb.bytes.length, 'the GLB header length is the file size');

      // Progress came over the WebSocket, with the key in its address when there is one.
      const socket = sockets.find((s) => new URL(s.url).pathname === '/api/ws');
      assert.ok(socket, `no WebSocket to /api/ws (sockets: ${sockets.map((s) => s.url).join(', ') || 'none'})`);
      if (apiKey) assert.equal(new URL(socket.url).searchParams.get('api_key'), apiKey);
      assert.ok(socket.sent.some((frame) => JSON.parse(frame).type === 'subscribe'), 'no subscribe message sent');
      assert.ok(sockets.some((s) => s.received.some((frame) => /"type":"(progress|completed|started|queued)"/.test(frame))),
        'no job event came over the WebSocket');
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('Dashboard: GPU memory, utilisation and the stage chart show numbers', async () => {
    const { context, page, problems } = await openPage({ width: 1280, height: 800 });
    try {
      await page.goto(base + '/');
      if (apiKey) await enterApiKey(page);
      await page.locator('nav a[data-page="dashboard"]').click();
      assert.equal(new URL(page.url()).pathname, '/dashboard');
      await page.locator('#page-dashboard[data-loaded="true"]').waitFor({ timeout: 15_000 });
      assert.equal(await page.locator('#dashboard-error').isHidden(), true,
        `the dashboard shows an error: ${await page.locator('#dashboard-error').textContent()}`);
      for (const id of ['#gpu-used', '#gpu-total', '#gpu-free'])
        assert.match(await page.locator(id).textContent(), /\d+(\.\d)? (MiB|GiB)/, `${id} shows no amount`);
      // A CPU-only server has memory figures (the host's) but no utilisation.
      const mode = await page.locator('#page-dashboard').getAttribute('data-mode');
      const utilization = await page.locator('#gpu-utilization').textContent();
      if (mode === 'gpu') assert.match(utilization, /^\d+ %$|^not reported$/);
      else assert.equal(utilization, 'no GPU');
      const devices = await page.locator('#device-table tbody tr').count();
      assert.ok(devices >= 1, 'no device rows');
      // The generate test ran jobs, so the server has stage timings.
      const values = await page.locator('#stage-chart svg text.bar-value').allTextContents();
      assert.ok(values.length >= 3, `the stage chart has ${values.length} bars`);
      for (const value of values) assert.match(value, /\d/);
      await saveScreenshot('dashboard.png', await page.screenshot({ fullPage: true }));

      // A reload of /dashboard lands on the dashboard (the server answers the page's path).
      await page.reload();
      assert.equal(await page.locator('#page-dashboard').isVisible(), true);
      assert.equal(await page.locator('#page-generate').isVisible(), false);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('Mesh tools: analyze a table, repair answers a mesh file', async (t) => {
    if (!stlBytes) return t.skip('the generate test made no STL');
    const { context, page, problems } = await openPage({ width: 1280, height: 800 });
    try {
      await page.goto(base + '/mesh');
      if (apiKey) await enterApiKey(page);
      await page.locator('#mesh-input').setInputFiles({ name: 'duck.stl', mimeType: 'model/stl', buffer: stlBytes });
      await page.locator('#analyze-button').click();
      await page.locator('#mesh-report table').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('#mesh-error').isHidden(), true,
        `the mesh page shows an error: ${await page.locator('#mesh-error').textContent()}`);
      const report = await page.locator('#mesh-report').textContent();
      assert.match(report, /watertight/);
      assert.match(report, /faces/);

      const [repaired] = await Promise.all([page.waitForEvent('download'), page.locator('#repair-button').click()]);
      assert.match(repaired.suggestedFilename(), /\.stl$/);
      assert.ok((await stat(await repaired.path())).size > 84, 'the repaired STL is empty');

      // Simplify to 500 faces as PLY: a PLY file comes back, and the report says how many faces.
      await page.locator('#mesh-format').selectOption('ply');
      await page.locator('#mesh-faces').fill('500');
      const [simplified] = await Promise.all([page.waitForEvent('download'), page.locator('#simplify-button').click()]);
      assert.match(simplified.suggestedFilename(), /\.ply$/);
      assert.equal((await readFile(await simplified.path())).toString('latin1', 0, 4), 'ply\n');
      assert.match(await page.locator('#mesh-report').textContent(), /target faces\s*500/);
      assert.match(await page.locator('#mesh-status').textContent(), /^Saved /);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('a broken image: the UI shows the server\'s reason, and the page still works', async () => {
    const { context, page, problems } = await openPage({ width: 1280, height: 800 });
    try {
      await page.goto(base + '/');
      if (apiKey) await enterApiKey(page);
      // PNG by name and type, garbage inside: refused at upload or failed as a job, said either way.
      await page.locator('#image-input').setInputFiles({
        name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('\x89PNG\r\n\x1a\n but nothing after the signature'),
      });
      await page.locator('#quality').fill('1');
      await page.locator('#generate-button').click();
      await page.locator('#generate-error:not([hidden])').waitFor({ timeout: kJobTimeoutMs });
      const message = await page.locator('#generate-error').textContent();
      assert.match(message, /\((corrupt_data|unsupported_format|invalid_argument)\)/, message);
      assert.equal(await page.locator('#generate-button').isEnabled(), true, 'Generate stays disabled after an error');
      assert.equal(await page.locator('#download-button').isDisabled(), true);
      assert.equal(await page.locator('#progress-panel').isHidden(), true, 'a refused upload leaves a progress bar');
      problems.length = 0;  // the browser logs the refused upload: expected here
    } finally {
      await context.close();
    }
  });

  test('Cancel stops a running job and the page says so', async () => {
    const { context, page, problems } = await openPage({ width: 1280, height: 800 });
    try {
      await page.goto(base + '/');
      if (apiKey) await enterApiKey(page);
      await page.locator('#image-input').setInputFiles(image);
      // The finest quality (seconds on a CPU; a size no other test uses, so no cache hit), cancelled
      // as soon as the job exists.
      await page.locator('#quality').fill('10');
      await page.locator('#size').fill('77');
      await page.locator('#generate-button').click();
      await page.locator('#progress-status').filter({ hasText: /queue|Generating|Preparing|Starting/ }).waitFor();
      await page.locator('#cancel-button').click();
      await page.locator('#progress-bar[data-status="cancelled"]').waitFor({ timeout: 30_000 });
      assert.equal(await page.locator('#progress-status').textContent(), 'Cancelled');
      assert.equal(await page.locator('#generate-error').isHidden(), true);
      assert.equal(await page.locator('#cancel-button').isHidden(), true);
      assert.equal(await page.locator('#generate-button').isEnabled(), true);
      assert.equal(await page.locator('#download-button').isDisabled(), true);
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });

  test('phone width: every page fits without sideways scrolling', async () => {
    const { context, page, problems } = await openPage({ width: 390, height: 844 });
    try {
      for (const where of ['/', '/dashboard', '/mesh']) {
        await page.goto(base + where);
        const { scroll, width } = await page.evaluate(() => ({
          scroll: document.documentElement.scrollWidth, width: window.innerWidth,
        }));
        assert.ok(scroll <= width, `${where} is ${scroll} px wide on a ${width} px screen`);
        await saveScreenshot(`phone${where === '/' ? '-generate' : where.replace('/', '-')}.png`, await page.screenshot({ fullPage: true }));
      }
      if (apiKey) problems.length = 0;  // the dashboard's refused requests before a key is entered

      // A job on the phone: the result and its viewer fit the screen too.
      await page.goto(base + '/');
      if (apiKey) await enterApiKey(page);
      await page.locator('#image-input').setInputFiles(image);
      await generate(page, 'stl');
      const box = await page.locator('#viewer canvas').boundingBox();
      assert.ok(box && box.width > 200 && box.x >= 0 && box.x + box.width <= 390, `the viewer is at ${JSON.stringify(box)}`);
      const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
      assert.ok(scroll <= 390, `with a result the page is ${scroll} px wide`);
      await saveScreenshot('phone-result.png', await page.screenshot({ fullPage: true }));
      assert.deepEqual(problems, []);
    } finally {
      await context.close();
    }
  });
});
