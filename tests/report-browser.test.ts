import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { writeRunReport, writeSampleRun } from '@research-ts/report';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodePng, imageStatistics } from './support/decode-png';

// The run report in a real browser: Debian's chromium, headless, with a fresh profile and no network.
// The test setup installs chromium (scripts/ci-setup.sh: apt-get, as root) when it is missing, so
// `npm ci && npm test` needs nothing else on a Debian machine; where that fails, the test fails (no skip).
const executablePath = '/usr/bin/chromium';
// Callbacks passed to $$eval/evaluate run inside Chromium; the root tsconfig has no DOM lib, so they see loose types.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type BrowserNode = any;
declare const document: BrowserNode;
declare function getComputedStyle(element: BrowserNode): { backgroundColor: string };
const chromiumArguments = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const workDirectory = mkdtempSync(join(tmpdir(), 'research-ts-report-browser-'));
const runDirectory = join(workDirectory, 'run-sample');
const reportFile = join(workDirectory, 'report.html');
/** Set RESEARCH_TS_SCREENSHOTS=<folder> to keep the screenshots for a look. */
const screenshotFolder = process.env.RESEARCH_TS_SCREENSHOTS;
let context: BrowserContext | undefined;
let page: Page;
const consoleErrors: string[] = [];
const requests: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  if (!existsSync(executablePath)) {
    const setup = spawnSync('bash', [join(import.meta.dirname, '..', 'scripts', 'ci-setup.sh'), 'chromium'], {
      encoding: 'utf8',
      timeout: 600_000,
    });
    if (setup.status !== 0 || !existsSync(executablePath)) {
      throw new Error(
        `Debian chromium is not installed at ${executablePath} and scripts/ci-setup.sh could not install it:\n${setup.stderr}${setup.stdout}`,
      );
    }
  }
  writeSampleRun(runDirectory, { steps: 40, warmupSteps: 100, finalEvaluations: true });
  await writeRunReport({ runDirectory, outputFile: reportFile });
  context = await chromium.launchPersistentContext(join(workDirectory, 'profile'), {
    executablePath,
    headless: true,
    args: chromiumArguments,
    viewport: { width: 1280, height: 1000 },
    deviceScaleFactor: 1,
    offline: true,
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning')
      consoleErrors.push(`${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => consoleErrors.push(`pageerror: ${error.message}`));
  page.on('dialog', async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });
  context.on('request', (request) => requests.push(request.url()));
  await page.goto(pathToFileURL(reportFile).href, { waitUntil: 'load' });
}, 660_000);

afterAll(async () => {
  await context?.close();
  rmSync(workDirectory, { recursive: true, force: true });
});

describe('run report in headless Chromium', () => {
  it('loads with no console error, no dialog, and no request beyond the file itself', () => {
    expect(consoleErrors).toEqual([]);
    expect(dialogs).toEqual([]);
    expect(requests).toEqual([pathToFileURL(reportFile).href]);
  });

  it('draws every chart with the inlined uPlot: a canvas with lines on it, a legend, and an x axis that ends at the last step', async () => {
    const charts = await page.$$eval('figure.chart', (figures) =>
      figures.map((figure) => {
        const plot = figure.querySelector('div.plot') as BrowserNode;
        const canvas = figure.querySelector('canvas') as BrowserNode;
        let coloured = 0;
        if (canvas !== null) {
          const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          // pixels of a series colour: clearly saturated, not the grey of axes and grid
          for (let index = 0; index < pixels.length; index += 4) {
            const [red, green, blue, alpha] = [pixels[index], pixels[index + 1], pixels[index + 2], pixels[index + 3]];
            if (alpha > 200 && Math.max(red, green, blue) - Math.min(red, green, blue) > 60) coloured += 1;
          }
        }
        return {
          title: figure.querySelector('h3')?.firstChild?.textContent?.trim() ?? '',
          noData: figure.querySelector('.no-data') !== null,
          width: canvas === null ? 0 : canvas.getBoundingClientRect().width,
          coloured,
          legend: [...figure.querySelectorAll('.u-legend .u-series .u-label')].map(
            (label) => (label as BrowserNode).textContent as string,
          ),
          xRange:
            plot === null ? [] : [Number(plot.getAttribute('data-x-min')), Number(plot.getAttribute('data-x-max'))],
        };
      }),
    );
    expect(charts.map((chart) => chart.title)).toEqual([
      'Reward',
      'KL to the reference',
      'Entropy',
      'Response length',
      'Searches per rollout',
      'Clip fraction',
      'Throughput',
      'Loss',
      'Gradient norm',
      'Learning rate',
      'Warm-up loss',
    ]);
    for (const chart of charts) {
      expect(chart.noData, chart.title).toBe(false);
      expect(chart.width, chart.title).toBeGreaterThan(250);
      expect(chart.coloured, chart.title).toBeGreaterThan(200);
      // 40 training steps; the warm-up's lines every 10 of its 100 steps.
      expect(chart.xRange, chart.title).toEqual(chart.title === 'Warm-up loss' ? [10, 100] : [1, 40]);
    }
    expect(charts[0]!.legend).toEqual([
      'step',
      'reward (raw)',
      'reward',
      'f1 (raw)',
      'f1',
      'format (raw)',
      'format',
      'eval reward',
    ]);
    expect(charts.at(-1)!.legend).toEqual(['warm-up step', 'loss']);
  });

  it('shows the held-out results as train prints them', async () => {
    const rows = await page.$$eval('table.headline tr', (trs) =>
      trs.map((tr) => [
        (tr as BrowserNode).querySelector('th').textContent,
        (tr as BrowserNode).querySelector('td').textContent,
      ]),
    );
    expect(rows.map(([label]) => label)).toEqual([
      'held-out EM, greedy (66 questions)',
      'held-out F1',
      'held-out searches per question',
      'held-out EM, retriever returns nothing',
      'names permuted in the corpus: answers as the corpus says',
      'names permuted in the corpus: EM against the real answer',
    ]);
    expect(rows[3]![1]).toBe('0.015');
    expect(await page.title()).toContain('run-sample');
  });

  it('shows the rollouts with coloured tags, masked results, and the script text as text', async () => {
    const rollouts = await page.$$eval('article.rollout', (articles) =>
      articles.map((article) => ({
        reward: article.getAttribute('data-reward'),
        think: article.querySelectorAll('.k-think').length,
        masked: article.querySelectorAll('.m0').length,
        text: article.querySelector('.trajectory')?.textContent ?? '',
      })),
    );
    expect(rollouts).toHaveLength(4);
    expect(rollouts.map((rollout) => rollout.reward)).toEqual(['0', '0.1', '0', '1']);
    expect(rollouts[0]!.think).toBe(0);
    expect(rollouts[3]!.think).toBeGreaterThan(0);
    expect(rollouts[3]!.masked).toBeGreaterThan(0);
    expect(rollouts[2]!.text).toContain('<script>alert("rollout")</script>');
    expect(await page.$$eval('script', (scripts) => scripts.length)).toBe(1);
    const thinkColor = await page.$eval('.trajectory .k-think', (element) => getComputedStyle(element).backgroundColor);
    const answerColor = await page.$eval(
      '.trajectory .k-answer',
      (element) => getComputedStyle(element).backgroundColor,
    );
    expect(thinkColor).not.toBe(answerColor);
    expect(thinkColor).not.toBe('rgba(0, 0, 0, 0)');
  });

  it('filters the rollouts by step, reward and reason', async () => {
    const visible = () =>
      page.$$eval(
        'article.rollout',
        (articles) => articles.filter((article) => !(article as BrowserNode).hidden).length,
      );
    const shown = () => page.textContent('#shown-count');
    await page.selectOption('#filter-step', '1');
    expect([await visible(), await shown()]).toEqual([2, '2']);
    await page.selectOption('#filter-step', '');
    await page.fill('#filter-min', '0.5');
    expect(await visible()).toBe(1);
    await page.fill('#filter-min', '');
    await page.fill('#filter-max', '0');
    expect(await visible()).toBe(2);
    await page.fill('#filter-max', '');
    await page.selectOption('#filter-reason', 'wrong-answer');
    expect([await visible(), await shown()]).toEqual([1, '1']);
    await page.selectOption('#filter-reason', '');
    expect(await visible()).toBe(4);
    await page.check('#filter-tokens');
    expect(await page.evaluate(() => document.body.classList.contains('show-tokens'))).toBe(true);
    await page.uncheck('#filter-tokens');
    expect(consoleErrors).toEqual([]);
  });

  it('renders a screenshot that is not blank', async () => {
    const png = await page.screenshot({ fullPage: false });
    const image = decodePng(png);
    expect([image.width, image.height]).toEqual([1280, 1000]);
    const statistics = imageStatistics(image);
    // Text, axes, eleven charts in several colours: many colours and a good share off the background.
    expect(statistics.distinctColors).toBeGreaterThan(100);
    expect(statistics.foregroundShare).toBeGreaterThan(0.2);
    const rollout = await page.locator('article.rollout').last().screenshot();
    const rolloutStatistics = imageStatistics(decodePng(rollout));
    expect(rolloutStatistics.distinctColors).toBeGreaterThan(50);
    if (screenshotFolder !== undefined) {
      writeFileSync(join(screenshotFolder, 'report-top.png'), png);
      writeFileSync(join(screenshotFolder, 'report-rollout.png'), rollout);
      writeFileSync(join(screenshotFolder, 'report-full.png'), await page.screenshot({ fullPage: true }));
    }
  });
});
