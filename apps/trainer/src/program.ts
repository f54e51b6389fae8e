import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { writeRunReport } from '@research-ts/report';
import { InvalidConfigError, ResearchError } from '@research-ts/spec';
import { buildIndex } from './build-index';
import { initModel } from './init-model';
import { modelSizes } from './model-sizes';
import { embeddingConventions, retrieverApis, retrieverSourceOf, type EmbeddingModelSource } from './open-retriever';
import { hnswQuantizations } from '@research-ts/retriever-dense';
import { promptTemplates } from '@research-ts/rollout';
import { thinkingModes } from '@research-ts/tags';
import { algorithmNames } from './algorithm-recipes';
import { presetNames, resolveConfig } from './resolve-config';
import { evaluationServerRetryDefaults, runEvaluation } from './run-evaluation';
import { serveRetriever } from './serve-retriever';
import { formatSkippedLines } from './format-skipped-lines';
import { formatTrainSummary } from './format-train-summary';
import { train } from './train';
import packageJson from '../package.json' with { type: 'json' };

const collect = (value: string, previous: string[]) => [...previous, value];
/** A path argument, made absolute at the door so that every message names the file it looked for. */
const absolutePath = (value: string) => resolve(value);
const integer = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed))
    throw new ResearchError(`--${name} must be an integer, got ${JSON.stringify(value)}`);
  return parsed;
};

const share = (name: string) => (value: string) => {
  const parsed = Number(value);
  if (value.trim() === '' || !(parsed >= 0 && parsed <= 1))
    throw new ResearchError(`--${name} must be a number from 0 to 1, got ${JSON.stringify(value)}`);
  return parsed;
};

/** The options that name the embedding model of a dense index. */
function withEmbeddingModelOptions(command: Command, purpose: string): Command {
  return command
    .option(
      '--embedding-model <directory>',
      `an ONNX embedding model (model.onnx + tokenizer.json) ${purpose}`,
      absolutePath,
    )
    .addOption(
      new Option(
        '--embedding-conventions <family>',
        'its prefixes and pooling: E5 (query: / passage:, mean) or BGE v1.5 (default: what a dense index records, else e5)',
      ).choices(Object.keys(embeddingConventions)),
    )
    .option(
      '--embedding-max-length <tokens>',
      'longest passage in tokens (default: what a dense index records, else 512)',
      integer('embedding-max-length'),
    )
    .option(
      '--query-max-length <tokens>',
      'longest query in tokens (default: what a dense index records, else --embedding-max-length)',
      integer('query-max-length'),
    );
}

/** The embedding model the options name, or undefined; its other options without it are an error. */
function embeddingModelOf(command: Command): EmbeddingModelSource | undefined {
  const options = command.opts();
  if (options.embeddingModel === undefined) {
    for (const name of ['embeddingConventions', 'embeddingMaxLength', 'queryMaxLength'] as const) {
      if (command.getOptionValueSource(name) === 'cli') {
        const flag = name.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
        throw new InvalidConfigError(flag, 'applies with --embedding-model (a dense index)');
      }
    }
    return undefined;
  }
  return {
    directory: options.embeddingModel as string,
    ...(options.embeddingConventions === undefined
      ? {}
      : { conventions: options.embeddingConventions as keyof typeof embeddingConventions }),
    ...(options.embeddingMaxLength === undefined ? {} : { maxLength: options.embeddingMaxLength as number }),
    ...(options.queryMaxLength === undefined ? {} : { queryMaxLength: options.queryMaxLength as number }),
  };
}

/** Options every config-driven command takes. */
function withConfigOptions(command: Command): Command {
  return command
    .option(
      '-c, --config <file>',
      'a JSON or YAML (.yaml, .yml) config file (fields of the train config schema)',
      absolutePath,
    )
    .option('-p, --preset <name>', `start from a preset (${presetNames().join(', ')})`)
    .option(
      '-a, --algorithm <name>',
      `apply an algorithm's recipe over the preset (${algorithmNames.join(', ')}); explicit settings win`,
    )
    .option(
      '-s, --set <path=value>',
      'override one field, e.g. --set optimizer.learningRate=1e-3 (repeatable)',
      collect,
      [] as string[],
    );
}

/** The `research-ts` program (exported so tests can run it in-process). */
export function createProgram(): Command {
  const program = new Command('research-ts')
    .description('Train LLMs to reason with search by GRPO (ReSearch), evaluate them, and serve retrievers.')
    .version(packageJson.version, '-V, --version', 'print the version of research-ts')
    .showHelpAfterError()
    .configureOutput({ writeErr: (text) => process.stderr.write(text) });

  withConfigOptions(
    program
      .command('init-model')
      .description(
        'write a randomly initialised model directory of a named size, with a tokenizer built from a corpus or the generated world',
      )
      .argument('<directory>', 'the model directory to create', absolutePath)
      .addOption(new Option('--size <size>', 'model size').choices(Object.keys(modelSizes)).default('tiny'))
      .option('--seed <n>', 'weight seed', integer('seed'), 1)
      .option(
        '--corpus <file>',
        'build the tokenizer from this FlashRAG corpus JSONL (default: the config’s generated world)',
        absolutePath,
      )
      .addOption(
        new Option('--tokenizer <kind>', 'word-level (small synthetic corpora) or byte-level BPE')
          .choices(['word', 'bpe'])
          .default('word'),
      )
      .option('--bpe-vocab <n>', 'BPE vocabulary size', integer('bpe-vocab'), 4096)
      .option('--overwrite', 'replace an existing directory'),
  ).action(async (directory: string, options) => {
    const config = await resolveConfig({
      preset: options.preset,
      algorithm: options.algorithm,
      configFile: options.config,
      overrides: options.set,
    });
    const result = await initModel({
      directory,
      size: options.size,
      seed: options.seed,
      tokenizer: options.tokenizer,
      bpeVocabSize: options.bpeVocab,
      ...(options.corpus === undefined
        ? { world: config.data.world ?? (await resolveConfig({ preset: 'tiny' })).data.world! }
        : { corpusFile: options.corpus }),
      overwrite: options.overwrite === true,
    });
    console.log(
      `wrote ${result.directory}: ${options.size}, ${result.parameterCount.toLocaleString('en-US')} parameters, ${result.vocabSize} token ids (tokenizer from ${result.texts} texts)`,
    );
  });

  withEmbeddingModelOptions(
    program
      .command('index')
      .description(
        'build an index folder from a FlashRAG corpus JSONL ({id, contents} per line): BM25 (flexsearch), or dense with --embedding-model',
      )
      .argument('<corpus>', 'the corpus JSONL (.gz allowed)', absolutePath)
      .argument('<directory>', 'the index folder to write', absolutePath)
      .option('--strict', 'fail at the first malformed line instead of skipping it')
      .option(
        '--compact',
        'write the compact on-disk layout (streamed in bounded memory, opened without reading it whole: for millions of passages)',
      )
      .addOption(
        new Option(
          '--quantization <type>',
          'with --embedding-model: how the HNSW graph stores its vectors (candidates are rescored exactly)',
        ).choices(hnswQuantizations),
      )
      .option('--no-progress', 'no progress output'),
    'to encode every passage (a dense HNSW index)',
  ).action(async (corpus: string, directory: string, options, command: Command) => {
    const embeddingModel = embeddingModelOf(command);
    const result = await buildIndex({
      corpusFile: corpus,
      directory,
      progress: options.progress,
      strict: options.strict === true,
      compact: options.compact === true,
      ...(embeddingModel === undefined ? {} : { embeddingModel }),
      ...(options.quantization === undefined ? {} : { quantization: options.quantization }),
    });
    for (const message of formatSkippedLines(result.skippedLines, result.skipped))
      process.stderr.write(`research-ts: skipped ${message}\n`);
    const skipped =
      result.skipped === 0
        ? ''
        : `, ${result.skipped} malformed line${result.skipped === 1 ? '' : 's'} skipped (--strict fails on them)`;
    console.log(
      `indexed ${result.passages} passages from ${corpus} into ${directory} (${result.seconds.toFixed(1)} s${skipped})`,
    );
  });

  withConfigOptions(
    program
      .command('train')
      .description(
        'GRPO with the ReSearch rollout loop; writes metrics.jsonl, checkpoints/ and model/ under the output directory',
      )
      .option('-m, --model <directory>', 'the policy to train (sets modelDirectory)', absolutePath)
      .option('-o, --output <directory>', 'the run folder (sets outputDirectory)', absolutePath)
      .option('--resume', 'continue from the newest good checkpoint in the run folder (an error when none verifies)')
      .option(
        '--overwrite',
        'replace the run the folder holds (without --resume or --overwrite, a folder holding a run is an error)',
      )
      .option(
        '--rollout-server <url>',
        'rollouts from a vLLM / SGLang server at this /v1 root (sets rollout.server.url; also set rollout.server.model and .localRoot)',
      )
      .option(
        '--rollout-server-kind <kind>',
        'vllm (LoRA adapters, needs lora) or sglang (full weights) (sets rollout.server.kind)',
      )
      .option('--no-progress', 'no progress output')
      .option('--print-config', 'print the resolved config and exit'),
  ).action(async (options) => {
    const fields: Record<string, unknown> = {};
    if (options.model !== undefined) fields.modelDirectory = options.model;
    if (options.output !== undefined) fields.outputDirectory = options.output;
    const server: Record<string, unknown> = {};
    if (options.rolloutServer !== undefined) server.url = options.rolloutServer;
    if (options.rolloutServerKind !== undefined) server.kind = options.rolloutServerKind;
    if (Object.keys(server).length > 0) fields.rollout = { server };
    const config = await resolveConfig({
      preset: options.preset,
      algorithm: options.algorithm,
      configFile: options.config,
      overrides: options.set,
      fields,
    });
    if (options.printConfig === true) {
      console.log(JSON.stringify(config, null, 2));
      return;
    }
    const summary = await train({
      config,
      resume: options.resume === true,
      overwrite: options.overwrite === true,
      progress: options.progress,
    });
    console.log(formatTrainSummary(summary));
  });

  withEmbeddingModelOptions(program.command('eval'), 'to encode the queries when -r is a dense index folder')
    .description(
      'run the ReSearch loop greedily over one or more question sets and print EM / F1 (/ LLM judge) of each beside the paper',
    )
    .requiredOption(
      '-q, --questions <file>',
      'FlashRAG JSONL or a {question, answer} JSON file; repeat it to evaluate several datasets into one table',
      (value: string, previous: string[] | undefined) => [...(previous ?? []), resolve(value)],
    )
    .requiredOption(
      '-r, --retriever <index-or-url>',
      'an index folder (BM25, or dense with --embedding-model), or the base URL of a retrieval server (http://host:port)',
    )
    .addOption(
      new Option(
        '--retriever-api <api>',
        'the API of a retriever URL: FlashRAG’s POST /batch_search (top_n) or Search-R1’s POST /retrieve (topk)',
      )
        .choices(retrieverApis)
        .default('flashrag'),
    )
    .option('-m, --model <directory>', 'a local model directory (onnxruntime)', absolutePath)
    .option('--server <url>', 'an OpenAI-compatible completions server, e.g. http://127.0.0.1:8000/v1')
    .option('--served-model <name>', 'the model name the server serves')
    .addOption(
      new Option('--server-kind <kind>', 'the server dialect')
        .choices(['vllm', 'sglang', 'llama.cpp', 'generic'])
        .default('vllm'),
    )
    .option('--api-key-env <name>', 'environment variable holding the server’s API key')
    .option(
      '--tokenizer <directory>',
      'tokenizer directory (default: the model directory; required with --server)',
      absolutePath,
    )
    .addOption(
      new Option('--template <template>', 'prompt template').choices(Object.keys(promptTemplates)).default('base'),
    )
    .addOption(
      new Option(
        '--thinking <mode>',
        "with --template instruct: the chat template's thinking mode (Qwen3's enable_thinking); unset: its default",
      ).choices(Object.keys(thinkingModes)),
    )
    .option('--budget <tokens>', 'response token budget (ReSearch: 8192)', integer('budget'), 8192)
    .option('--top-k <n>', 'passages per search (ReSearch: 5)', integer('top-k'), 5)
    .option('--limit <n>', 'only the first N questions of each file', integer('limit'))
    .option(
      '--dataset <name>',
      'the name of a question file’s dataset in the table, one per -q in order (default: the file name; hotpotqa_dev, bamboogle_test, … fill the paper’s columns)',
      collect,
      [] as string[],
    )
    .option('--judge-url <url>', 'an OpenAI-compatible API for the LLM judge, e.g. https://api.openai.com/v1')
    .option('--judge-model <name>', 'the judge model (ReSearch: gpt-4o-mini)')
    .option(
      '--judge-key-env <name>',
      'environment variable holding the judge’s API key (unset: no key is sent, as for a local judge server)',
      'OPENAI_API_KEY',
    )
    .option(
      '-o, --output <file>',
      'predictions JSONL, one line appended per finished question (default: predictions.jsonl)',
      absolutePath,
    )
    .option('--resume', 'keep the predictions already in the output file and ask only the other questions')
    .option(
      '--retries <n>',
      'retries of a completions request (with --server): waits of 1, 2, 4 … s, capped by --retry-max-wait',
      integer('retries'),
      evaluationServerRetryDefaults.maxRetries,
    )
    .option(
      '--retry-max-wait <seconds>',
      'the longest wait between two retries (with --server)',
      integer('retry-max-wait'),
      evaluationServerRetryDefaults.maxBackoffMs / 1000,
    )
    .option(
      '--max-failed-search-share <share>',
      'the share of a batch’s searches that may fail after their retries (0: a failed search stops the evaluation)',
      share('max-failed-search-share'),
      0,
    )
    .option('--threads <n>', 'onnxruntime threads', integer('threads'))
    .option('--no-progress', 'no progress output')
    .action(async (options, command: Command) => {
      const judgeKey =
        options.judgeUrl === undefined || process.env[options.judgeKeyEnv] === ''
          ? undefined
          : process.env[options.judgeKeyEnv];
      // a key variable named on the command line must hold a key; the default one may be unset (a local judge)
      if (
        options.judgeUrl !== undefined &&
        judgeKey === undefined &&
        command.getOptionValueSource('judgeKeyEnv') === 'cli'
      ) {
        throw new InvalidConfigError(
          'judge-key-env',
          `$${options.judgeKeyEnv} is not set (leave --judge-key-env out to call the judge without a key)`,
        );
      }
      const outputFile: string = options.output ?? resolve('predictions.jsonl');
      const embeddingModel = embeddingModelOf(command);
      const source = retrieverSourceOf(options.retriever, options.retrieverApi);
      if (source.kind !== 'http' && command.getOptionValueSource('retrieverApi') === 'cli') {
        throw new InvalidConfigError(
          'retriever-api',
          `applies to a retriever URL (-r http://host:port), not to the index folder ${options.retriever}`,
        );
      }
      if (source.kind === 'http' && embeddingModel !== undefined) {
        throw new InvalidConfigError(
          'embedding-model',
          `applies to a dense index folder; the server at ${options.retriever} encodes its own queries`,
        );
      }
      const retriever =
        source.kind === 'index'
          ? { ...source, field: 'embedding-model', ...(embeddingModel === undefined ? {} : { embeddingModel }) }
          : source;
      const result = await runEvaluation({
        questionsFiles: options.questions,
        ...(options.dataset.length === 0 ? {} : { datasets: options.dataset }),
        ...(options.limit === undefined ? {} : { limit: options.limit }),
        ...(options.model === undefined ? {} : { modelDirectory: options.model }),
        ...(options.server === undefined
          ? {}
          : { serverUrl: options.server, servedModel: options.servedModel, server: options.serverKind }),
        ...(options.apiKeyEnv === undefined ? {} : { apiKey: process.env[options.apiKeyEnv] }),
        ...(options.tokenizer === undefined ? {} : { tokenizerDirectory: options.tokenizer }),
        retriever,
        template: options.template,
        ...(options.thinking === undefined ? {} : { thinking: options.thinking }),
        responseBudget: options.budget,
        topK: options.topK,
        ...(options.judgeUrl === undefined
          ? {}
          : {
              judge: {
                baseURL: options.judgeUrl,
                ...(judgeKey === undefined ? {} : { apiKey: judgeKey }),
                ...(options.judgeModel === undefined ? {} : { model: options.judgeModel }),
              },
            }),
        outputFile,
        resume: options.resume === true,
        serverRetry: { maxRetries: options.retries, maxBackoffMs: 1000 * options.retryMaxWait },
        maxFailedSearchShare: options.maxFailedSearchShare,
        ...(options.threads === undefined ? {} : { threads: options.threads }),
        progress: options.progress,
      });
      const { summary } = result;
      console.log(result.table);
      console.log(
        `${summary.count} questions: reward ${summary.reward.toFixed(3)}, format ok ${(100 * summary.formatOk).toFixed(1)}%, ` +
          `${summary.searches.toFixed(2)} searches and ${summary.generatedTokens.toFixed(1)} generated tokens per question, ${summary.failedSearches} failed searches; predictions in ${outputFile}`,
      );
    });

  withEmbeddingModelOptions(
    program
      .command('serve-retriever')
      .description(
        'serve an index folder (BM25 or dense) over the FlashRAG (/search, /batch_search, /health) and Search-R1 (/retrieve) APIs',
      )
      .argument('<index>', 'an index folder built by `research-ts index`', absolutePath)
      .option('--host <host>', 'interface to bind', '127.0.0.1')
      .option('--port <port>', 'TCP port (0: any free one)', integer('port'), 8000),
    'to encode the queries of a dense index (the one its passages were encoded with)',
  ).action(async (index: string, options, command: Command) => {
    const embeddingModel = embeddingModelOf(command);
    const server = await serveRetriever({
      indexDirectory: index,
      ...(embeddingModel === undefined ? {} : { embeddingModel }),
      field: 'embedding-model',
      host: options.host,
      port: options.port,
    });
    console.log(
      `serving ${index} at ${server.url} (POST /search, /batch_search, /retrieve; GET /health); Ctrl-C stops`,
    );
    const stop = () => void server.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });

  program
    .command('report')
    .description('write one self-contained HTML report of a run: training curves and a rollout viewer')
    .argument('<run>', 'a run folder written by `research-ts train` (metrics.jsonl, rollouts.jsonl)', absolutePath)
    .option('-o, --output <file>', 'where to write the HTML (default: <run>/report.html)', absolutePath)
    .option('--max-rollouts <n>', 'at most this many rollouts in the viewer', integer('max-rollouts'), 400)
    .action(async (run: string, options) => {
      const written = await writeRunReport({
        runDirectory: run,
        outputFile: options.output,
        maxRollouts: options.maxRollouts,
      });
      console.log(
        `wrote ${written.outputFile} (${written.steps} steps, ${written.rolloutsShown} of ${written.rolloutsTotal} rollouts, ${written.bytes} bytes)`,
      );
      for (const problem of written.problems) console.log(`  skipped: ${problem}`);
    });

  return program;
}

/** Runs the CLI; a `ResearchError` (a bad config field, a missing file) prints one line and exits 1. */
export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await createProgram().parseAsync([...argv]);
  } catch (error) {
    if (ResearchError.isInstance(error)) {
      process.stderr.write(`research-ts: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
}
