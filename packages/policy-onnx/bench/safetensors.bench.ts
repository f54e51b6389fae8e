// Safetensors read/write throughput for a Qwen2.5-0.5B-shaped random model, beside plain
// fs.readFile / fs.writeFile of the same bytes in the same process.
//
//   npm run bench -w @research-ts/policy-onnx                # all 24 layers (494M parameters, 1.98 GB in fp32)
//   npm run bench -w @research-ts/policy-onnx -- --layers 6  # fewer layers, for small machines
//
// Files go to a temporary folder (removed at the end); reads come from the warm page cache, right
// after the write (dropping the cache needs root), so they measure parsing, copying and conversion.
import { open, readFile, rm, mkdtemp, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bfloat16ToFloat32Loop, float32ToBfloat16Loop } from '../src/model/bfloat16';
import {
  bfloat16ToFloat32,
  createRandomModel,
  float32ToBfloat16,
  decoderParameterCount,
  decoderParameterShapes,
  openSafetensors,
  qwen2_5_0_5bConfig,
  writeSafetensors,
  type FloatDtype,
  type TensorToWrite,
} from '../src/index';

const argument = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index === -1 ? fallback : Number(process.argv[index + 1]);
};
const layers = argument('layers', 24);
const repeats = argument('repeats', 3);

const collect = () => (globalThis as { gc?: () => void }).gc?.();

async function median(run: () => Promise<void>): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index < repeats; index++) {
    collect();
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((first, second) => first - second);
  return times[Math.floor(times.length / 2)]! / 1000;
}

const megabytes = (bytes: number) => bytes / 1e6;
const rows: string[] = [];
function report(label: string, bytes: number, seconds: number, baselineSeconds: number, baselineLabel: string): void {
  const rate = megabytes(bytes) / seconds;
  const baselineRate = megabytes(bytes) / baselineSeconds;
  const row = `| ${label} | ${(bytes / 1e9).toFixed(3)} GB | ${seconds.toFixed(2)} s | ${rate.toFixed(0)} MB/s | ${baselineLabel}: ${baselineRate.toFixed(0)} MB/s | ${(rate / baselineRate).toFixed(2)}× |`;
  rows.push(row);
  console.log(row);
}

const config = { ...qwen2_5_0_5bConfig(), numHiddenLayers: layers };
console.log(
  `Qwen2.5-0.5B shapes with ${layers} of 24 layers: ${decoderParameterCount(config).toLocaleString('en-US')} parameters; median of ${repeats} runs`,
);
console.log(
  `Node ${process.version}, ${process.platform}-${process.arch}, gc exposed: ${typeof (globalThis as { gc?: unknown }).gc === 'function'}`,
);

let start = performance.now();
const model = createRandomModel(config, { seed: 0 });
console.log(`createRandomModel: ${((performance.now() - start) / 1000).toFixed(1)} s`);

// The bf16 conversions alone: WebAssembly SIMD (the default) against the plain JavaScript loops.
{
  const values = model.parameters.get('model.embed_tokens.weight')!;
  const halves = new Uint16Array(values.length);
  const widened = new Float32Array(values.length);
  const elements = values.length;
  const rate = (seconds: number) => `${(elements / seconds / 1e6).toFixed(0)} M elements/s`;
  const narrowSimd = await median(async () => void float32ToBfloat16(values, halves));
  const narrowLoop = await median(async () => void float32ToBfloat16Loop(values, halves));
  const widenSimd = await median(async () => void bfloat16ToFloat32(halves, widened));
  const widenLoop = await median(async () => void bfloat16ToFloat32Loop(halves, widened));
  console.log(`\nbf16 conversion of ${elements.toLocaleString('en-US')} values (the embedding):`);
  console.log(
    `| float32 → bf16 (round to nearest even) | SIMD ${rate(narrowSimd)} | loop ${rate(narrowLoop)} | ${(narrowLoop / narrowSimd).toFixed(2)}× |`,
  );
  console.log(
    `| bf16 → float32 | SIMD ${rate(widenSimd)} | loop ${rate(widenLoop)} | ${(widenLoop / widenSimd).toFixed(2)}× |`,
  );
}

const directory = await mkdtemp(join(tmpdir(), 'policy-onnx-bench-'));
try {
  console.log('\n| operation | bytes | time | throughput | baseline | ratio |\n|---|---|---|---|---|---|');
  for (const dtype of ['F32', 'BF16'] as FloatDtype[]) {
    const tensors = decoderParameterShapes(config).map(({ name, shape }): [string, TensorToWrite] => [
      name,
      { dtype, shape, data: model.parameters.get(name)! },
    ]);
    const path = join(directory, `model-${dtype}.safetensors`);
    const copy = join(directory, `copy-${dtype}.bin`);

    // Write: ours (encoding float32 to the dtype on the fly) against fs.writeFile of the finished file's bytes.
    const writeSeconds = await median(() => writeSafetensors(path, tensors, { durable: false }));
    const bytes = (await stat(path)).size;
    let fileBytes: Buffer | undefined = await readFile(path);
    const writeFileSeconds = await median(() => writeFile(copy, fileBytes!));
    report(`writeSafetensors ${dtype} (from float32)`, bytes, writeSeconds, writeFileSeconds, 'fs.writeFile');
    const durableSeconds = await median(() => writeSafetensors(path, tensors, { durable: true }));
    const writeSyncSeconds = await median(async () => {
      const handle = await open(copy, 'w');
      await handle.writeFile(fileBytes!);
      await handle.sync();
      await handle.close();
    });
    report(`writeSafetensors ${dtype}, fsync + rename`, bytes, durableSeconds, writeSyncSeconds, 'writeFile + fsync');
    fileBytes = undefined;
    collect();

    // Read: every tensor to float32 (lazily, tensor by tensor), and as stored bytes, against fs.readFile.
    const readFileSeconds = await median(async () => {
      await readFile(path);
    });
    const readFloatSeconds = await median(async () => {
      const file = await openSafetensors(path);
      for (const name of file.entries.keys()) await file.readFloat32(name);
      await file.close();
    });
    report(
      `readFloat32 all tensors, ${dtype} → float32 (fresh arrays)`,
      bytes,
      readFloatSeconds,
      readFileSeconds,
      'fs.readFile',
    );
    // Into preallocated arrays: the model's own (same shapes), so no fresh memory is touched.
    const readIntoSeconds = await median(async () => {
      const file = await openSafetensors(path);
      for (const name of file.entries.keys()) await file.readFloat32(name, model.parameters.get(name));
      await file.close();
    });
    report(
      `readFloat32 all tensors, ${dtype} → float32 (reused arrays)`,
      bytes,
      readIntoSeconds,
      readFileSeconds,
      'fs.readFile',
    );
    const readRawSeconds = await median(async () => {
      const file = await openSafetensors(path);
      for (const name of file.entries.keys()) await file.readTensor(name);
      await file.close();
    });
    report(`readTensor all tensors, ${dtype} raw bytes`, bytes, readRawSeconds, readFileSeconds, 'fs.readFile');
    await rm(path);
    await rm(copy);
  }
} finally {
  await rm(directory, { recursive: true, force: true });
}
