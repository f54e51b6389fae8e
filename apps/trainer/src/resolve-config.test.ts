import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { configPresets } from './config-presets';
import { mergeConfig, parseOverride, resolveConfig } from './resolve-config';

describe('parseOverride', () => {
  it.each([
    ['optimizer.learningRate=1e-3', { optimizer: { learningRate: 0.001 } }],
    ['rollout.groupSize=8', { rollout: { groupSize: 8 } }],
    ['prompt.template=compact', { prompt: { template: 'compact' } }],
    ['data.world.questionsPerHop={"3":0}', { data: { world: { questionsPerHop: { 3: 0 } } } }],
    ['modelDirectory=runs/a=b', { modelDirectory: 'runs/a=b' }],
    ['loss.klCoefficient=0', { loss: { klCoefficient: 0 } }],
  ])('%s', (override, expected) => expect(parseOverride(override)).toEqual(expected));

  it('rejects overrides without a path', () => {
    expect(() => parseOverride('=3')).toThrow(InvalidConfigError);
    expect(() => parseOverride('learningRate')).toThrow(/path.to.field=value/);
    expect(() => parseOverride('a..b=1')).toThrow(/empty part/);
  });
});

describe('mergeConfig', () => {
  it('merges records key by key and replaces arrays and scalars', () => {
    expect(mergeConfig({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] }, d: { e: 2 } })).toEqual({
      a: { b: 1, c: [3] },
      d: { e: 2 },
    });
  });
});

describe('resolveConfig', () => {
  it('applies preset, then file, then fields, then overrides', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'research-ts-config-'));
    const file = join(directory, 'config.json');
    await writeFile(
      file,
      JSON.stringify({ optimizer: { learningRate: 0.01 }, rollout: { groupSize: 7 }, outputDirectory: 'from-file' }),
    );
    const config = await resolveConfig({
      preset: 'tiny',
      configFile: file,
      fields: { outputDirectory: 'from-flag' },
      overrides: ['rollout.groupSize=3'],
    });
    expect(config.optimizer.learningRate).toBe(0.01); // file over preset
    expect(config.rollout.groupSize).toBe(3); // override over file
    expect(config.outputDirectory).toBe('from-flag'); // fields over file
    expect(config.prompt.template).toBe(configPresets.tiny.prompt.template); // preset kept
    expect(config.loss.clipRatio).toBe(0.2); // schema default
  });

  it('the research preset is the schema defaults', async () => {
    expect(await resolveConfig({ preset: 'research' })).toEqual(await resolveConfig({}));
  });

  it('fails before any work with the field named', async () => {
    await expect(resolveConfig({ preset: 'nano' })).rejects.toThrow(
      /unknown preset "nano" \(presets: research, tiny\)/,
    );
    await expect(resolveConfig({ overrides: ['optimizer.learningRate=-2'] })).rejects.toMatchObject({
      path: 'optimizer.learningRate',
    });
    await expect(resolveConfig({ overrides: ['optimizer.lr=2'] })).rejects.toMatchObject({ path: 'optimizer.lr' });
    await expect(resolveConfig({ configFile: '/nonexistent/config.json' })).rejects.toThrow(
      /cannot read \/nonexistent\/config.json/,
    );
    const directory = await mkdtemp(join(tmpdir(), 'research-ts-config-'));
    await writeFile(join(directory, 'bad.json'), '{ "optimizer": ');
    await expect(resolveConfig({ configFile: join(directory, 'bad.json') })).rejects.toThrow(/is not valid JSON/);
    await writeFile(join(directory, 'list.json'), '[1]');
    await expect(resolveConfig({ configFile: join(directory, 'list.json') })).rejects.toThrow(
      /must hold a JSON object/,
    );
  });
});

describe('resolveConfig: algorithm recipes', () => {
  it('puts the recipe between the preset and what the user wrote', async () => {
    const dapo = await resolveConfig({ preset: 'tiny', algorithm: 'dapo' });
    expect(dapo.algorithm).toBe('dapo');
    // the recipe replaces the preset's loss knobs…
    expect(dapo.loss).toMatchObject({
      clipRatioLow: 0.2,
      clipRatioHigh: 0.28,
      klCoefficient: 0,
      entropyCoefficient: 0,
    });
    expect(dapo.rollout.dynamicSampling).toEqual({ maxRounds: 10 });
    expect(dapo.reward.overlongBuffer).toEqual({ fraction: 0.2, penaltyFactor: 1 });
    // …keeps the preset's other knobs…
    expect(dapo.optimizer.learningRate).toBe(2e-3);
    expect(dapo.rollout.responseBudget).toBe(160);
    // …and an explicit value wins over it, from an override or from the config file
    const kl = await resolveConfig({ preset: 'tiny', algorithm: 'dapo', overrides: ['loss.klCoefficient=0.01'] });
    expect(kl.loss.klCoefficient).toBe(0.01);
    const directory = await mkdtemp(join(tmpdir(), 'research-ts-algorithm-'));
    const file = join(directory, 'config.json');
    await writeFile(file, JSON.stringify({ algorithm: 'gspo', loss: { clipRatioHigh: 0.001 } }));
    const gspo = await resolveConfig({ preset: 'tiny', configFile: file });
    expect(gspo.loss).toMatchObject({
      policyLoss: 'gspo',
      clipRatioLow: 3e-4,
      clipRatioHigh: 0.001,
      aggregation: 'seq-mean-token-mean',
    });
  });

  it('gives each recipe a valid config over every preset, and grpo is the schema itself', async () => {
    for (const preset of Object.keys(configPresets))
      for (const algorithm of ['grpo', 'dr-grpo', 'dapo', 'gspo', 'rloo', 'reinforce-pp'])
        expect((await resolveConfig({ preset, algorithm })).algorithm).toBe(algorithm);
    expect(await resolveConfig({ algorithm: 'grpo' })).toEqual(await resolveConfig({}));
    const reinforce = await resolveConfig({ algorithm: 'reinforce-pp' });
    expect(reinforce.advantage).toMatchObject({ estimator: 'reinforce-plus-plus' });
    await expect(resolveConfig({ overrides: ['advantage.gamma=0.9'] })).rejects.toThrow(
      /advantage\.gamma.*not read by the grpo estimator \(only by reinforce-plus-plus/,
    );
    expect(reinforce.loss).toMatchObject({ klEstimator: 'k2', klCoefficient: 0.001, entropyCoefficient: 0 });
  });

  it('names an unknown algorithm with the choices', async () => {
    await expect(resolveConfig({ algorithm: 'ppo' })).rejects.toThrow(
      /algorithm.*"grpo".*"dr-grpo".*"dapo".*"gspo".*"rloo".*"reinforce-pp"/,
    );
  });
});
