import { aggregationModes, klEstimators } from '@research-ts/grpo';
import { InvalidConfigError } from '@research-ts/spec';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { parseTrainerConfig, trainerConfigSchema } from './trainer-config';

function configError(input: unknown): InvalidConfigError {
  try {
    parseTrainerConfig(input);
  } catch (error) {
    if (error instanceof InvalidConfigError) return error;
    throw error;
  }
  throw new Error('the config was accepted');
}

describe('trainerConfigSchema', () => {
  it('defaults to ReSearch’s recipe (research-paper §1.5)', () => {
    const config = parseTrainerConfig({});
    const recipe: [string, unknown, unknown][] = [
      ['group size (rollout.n)', config.rollout.groupSize, 5],
      ['prompts per step (train_batch_size)', config.rollout.promptsPerStep, 256],
      ['learning rate', config.optimizer.learningRate, 1e-6],
      ['lr warm-up steps (constant)', config.optimizer.warmupSteps, 0],
      ['clip ratio', config.loss.clipRatio, 0.2],
      ['KL estimator (low_var_kl)', config.loss.klEstimator, 'k3'],
      ['KL coefficient', config.loss.klCoefficient, 0.001],
      ['entropy coefficient', config.loss.entropyCoefficient, 0.001],
      ['loss aggregation', config.loss.aggregation, 'token-mean'],
      ['grad clip', config.optimizer.gradClip, 1.0],
      ['ppo epochs', config.training.ppoEpochs, 1],
      ['temperature', config.rollout.temperature, 1.0],
      ['top-p', config.rollout.topP, 1],
      ['passages per search', config.retriever.topK, 5],
      ['response budget', config.rollout.responseBudget, 8192],
      ['max turns (none)', config.rollout.maxTurns, undefined],
      ['micro-batch tokens 2·(512+8192)', config.training.maxTokensPerMicroBatch, 17408],
      ['checkpoint every (save_freq)', config.checkpoint.every, 10],
      ['evaluate every (test_freq)', config.evaluation.every, 10],
      ['validation questions', config.evaluation.questions, 100],
      ['prompt template', config.prompt.template, 'base'],
      ['format warm-up (none)', config.warmup.steps, 0],
    ];
    for (const [name, actual, expected] of recipe) expect(actual, name).toBe(expected);
  });

  it.each([
    [{ optimizer: { learningRate: -1 } }, 'optimizer.learningRate'],
    [{ optimizer: { learningRate: '1e-6' } }, 'optimizer.learningRate'],
    [{ rollout: { groupSize: 0 } }, 'rollout.groupSize'],
    [{ rollout: { groupSize: 2.5 } }, 'rollout.groupSize'],
    [{ rollout: { topP: 0 } }, 'rollout.topP'],
    [{ loss: { klEstimator: 'k4' } }, 'loss.klEstimator'],
    [{ loss: { aggregation: 'mean' } }, 'loss.aggregation'],
    [{ data: { world: { questionsPerHop: { 2: -3 } } } }, 'data.world.questionsPerHop.2'],
    [{ retriever: { kind: 'flexsearch' } }, 'retriever.indexDirectory'],
    [{ retriever: { kind: 'index' } }, 'retriever.indexDirectory'],
    [{ retriever: { kind: 'index', indexDirectory: 'i', embeddingModel: {} } }, 'retriever.embeddingModel.directory'],
    [
      { retriever: { kind: 'index', indexDirectory: 'i', embeddingModel: { directory: 'm', conventions: 'gte' } } },
      'retriever.embeddingModel.conventions',
    ],
    [
      { retriever: { kind: 'http', url: 'http://127.0.0.1:8000', embeddingModel: { directory: 'm' } } },
      'retriever.embeddingModel',
    ],
    [{ retriever: { kind: 'http' } }, 'retriever.url'],
    [{ retriever: { kind: 'http', url: 'not a url' } }, 'retriever.url'],
    [{ retriever: { kind: 'http', url: 'http://127.0.0.1:8000', api: 'bing' } }, 'retriever.api'],
    [{ retriever: { kind: 'http', url: 'http://127.0.0.1:8000/retrieve', api: 'search-r1' } }, 'retriever.url'],
    [{ prompt: { template: 'chat' } }, 'prompt.template'],
  ])('rejects %j naming %s', (input, path) => {
    const error = configError(input);
    expect(error.path).toBe(path);
    expect(error.message).toContain(path);
  });

  it('checks every knob against the math before any work: a clip ratio of 1 fails here, not in the loss', () => {
    expect(configError({ loss: { clipRatio: 1 } }).message).toBe(
      'config field "loss.clipRatio": must be in [0, 1), got 1',
    );
    expect(configError({ warmup: { minSearches: 4, maxSearches: 2 } }).message).toBe(
      'config field "warmup.minSearches": must be ≤ maxSearches (2), got 4',
    );
    expect(configError({ retriever: { maxFailedSearchShare: 1.5 } }).path).toBe('retriever.maxFailedSearchShare');
    expect(parseTrainerConfig({ loss: { clipRatio: 0.28 } }).loss.clipRatio).toBe(0.28);
    // the enums are the math's records
    expect(trainerConfigSchema.shape.loss.unwrap().shape.klEstimator.unwrap().options).toEqual(
      Object.keys(klEstimators),
    );
    for (const mode of trainerConfigSchema.shape.loss.unwrap().shape.aggregation.unwrap().options)
      expect(Object.keys(aggregationModes)).toContain(mode);
  });

  it('reports every invalid field at once, not only the first', () => {
    const error = configError({
      loss: { clipRatio: 1 },
      rollout: { groupSize: 0 },
      optimizer: { lr: 1e-3 },
      warmup: { minSearches: 4, maxSearches: 2 },
    });
    expect(error.issues.map((issue) => issue.path).sort()).toEqual([
      'loss.clipRatio',
      'optimizer.lr',
      'rollout.groupSize',
      'warmup.minSearches',
    ]);
    expect(error.message.split('\n')[0]).toBe('4 config fields are invalid:');
    for (const issue of error.issues) expect(error.message).toContain(`config field "${issue.path}": ${issue.problem}`);
  });

  it('retriever.api picks the HTTP API beside retriever.url: FlashRAG by default, or Search-R1', () => {
    expect(parseTrainerConfig({ retriever: { kind: 'http', url: 'http://127.0.0.1:8000' } }).retriever.api).toBe(
      'flashrag',
    );
    expect(
      parseTrainerConfig({ retriever: { kind: 'http', url: 'http://127.0.0.1:8000', api: 'search-r1' } }).retriever,
    ).toMatchObject({ url: 'http://127.0.0.1:8000', api: 'search-r1' });
    expect(configError({ retriever: { kind: 'http', url: 'http://127.0.0.1:8000/retrieve' } }).message).toContain(
      'config field "retriever.url": http://127.0.0.1:8000/retrieve names the /retrieve endpoint: give the server\'s base URL, http://127.0.0.1:8000, and the "search-r1" API',
    );
  });

  it('rejects an unknown field at any depth, naming it (a typo never passes silently)', () => {
    expect(configError({ optimizer: { lr: 1e-3 } }).path).toBe('optimizer.lr');
    expect(configError({ learningRate: 1e-3 }).path).toBe('learningRate');
    expect(configError({ data: { world: { peple: 3 } } }).path).toBe('data.world.peple');
  });

  it('describes every field (STYLE rule 11: the schema documents itself)', () => {
    const undescribed: string[] = [];
    const visited: string[] = [];
    const walk = (schema: z.ZodType, path: string) => {
      visited.push(path);
      if (path !== '' && (schema.description === undefined || schema.description.length < 10)) undescribed.push(path);
      let inner: z.ZodType = schema;
      // unwrap defaults, optionals and refinements to reach an object's shape
      for (let depth = 0; depth < 5; depth++) {
        const definition = (inner as unknown as { def: { innerType?: z.ZodType; in?: z.ZodType } }).def;
        if (definition.innerType !== undefined) inner = definition.innerType;
        else if (definition.in !== undefined) inner = definition.in;
        else break;
      }
      if (inner instanceof z.ZodObject)
        for (const [key, child] of Object.entries(inner.shape))
          walk(child as z.ZodType, path === '' ? key : `${path}.${key}`);
    };
    walk(trainerConfigSchema, '');
    expect(visited).toContain('optimizer.learningRate');
    expect(visited).toContain('data.world.questionsPerHop.3');
    expect(visited.length).toBeGreaterThan(60);
    expect(undescribed).toEqual([]);
  });
});
