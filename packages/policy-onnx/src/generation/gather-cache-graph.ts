import { GraphBuilder, type Value } from '@research-ts/onnx-graph';
import type { DecoderConfig } from '../model/decoder-config';

/** The input name of source `source`'s layer `layer` keys or values in a gather-cache graph. */
export function gatherSourceName(source: number, layer: number, kind: 'key' | 'value'): string {
  return `source.${source}.${layer}.${kind}`;
}

/** The output name of layer `layer`'s gathered keys or values. */
export function gatheredCacheName(layer: number, kind: 'key' | 'value'): string {
  return `cache.${layer}.${kind}`;
}

/**
 * A graph that builds one KV cache out of rows of others on the device: the cache of a decode batch out
 * of pool entries and prefill results, one sequence's real slots cut out of a batch for the pool, the
 * rows left when sequences finish. One graph serves every layer, so a gather costs one run and one
 * upload (its indices) whatever the depth of the model.
 *
 * Inputs: for each of `sources` caches and each layer, `source.{s}.{layer}.key/value`
 * `[rows_s, kvHeads, slots_s, headDim]`; `indices [rows, slots]` (int64). Sources with fewer slots are
 * padded with zeros to the most (`most`); the sources are then stacked on the row axis in order (source
 * 0's rows first). Output slot `t` of row `r` is stacked row `i / most`'s slot `i % most` for
 * `i = indices[r, t]`. Outputs: `cache.{layer}.key/value [rows, kvHeads, slots, headDim]`.
 *
 * The slots are picked by one `Gather` over the stacked cache seen as `[rows · most, kvHeads, headDim]`
 * rows (a transpose each way), so the indices stay `[rows, slots]`: indices as large as the cache
 * (`GatherElements`) would be expanded by an int64 `Expand`, which runs on the CPU and crosses to the
 * GPU on every gather.
 */
export function buildGatherCacheGraph(config: DecoderConfig, sources: number): GraphBuilder {
  if (!Number.isSafeInteger(sources) || sources < 1)
    throw new Error(`gather-cache graph: sources must be a positive integer, got ${sources}`);
  const { numKeyValueHeads: kvHeads, headDim } = config;
  const graph = new GraphBuilder({ name: `gather_cache_${sources}` });
  const indices = graph.input('indices', 'int64', ['rows', 'slots']);
  const inputs = Array.from({ length: sources }, (_, source) =>
    Array.from({ length: config.numHiddenLayers }, (_, layer) => ({
      key: graph.input(gatherSourceName(source, layer, 'key'), 'float32', [
        `rows_${source}`,
        kvHeads,
        `slots_${source}`,
        headDim,
      ]),
      value: graph.input(gatherSourceName(source, layer, 'value'), 'float32', [
        `rows_${source}`,
        kvHeads,
        `slots_${source}`,
        headDim,
      ]),
    })),
  );
  // pads [0, 0, 0, 0, 0, 0, most - slots_s, 0] per source (the same for every layer of a source)
  let pads: Value[] | undefined;
  if (sources > 1) {
    const slotCounts = inputs.map((layers) => graph.slice(graph.shape(layers[0]!.key), { starts: [2], ends: [3] }));
    const most = graph.emit('Max', slotCounts, [{ dtype: 'int64', shape: [1] }])[0]!;
    pads = slotCounts.map((count) =>
      graph.concat([graph.int64s([0, 0, 0, 0, 0, 0]), graph.sub(most, count), graph.int64s([0])], 0),
    );
  }
  for (let layer = 0; layer < config.numHiddenLayers; layer++) {
    for (const kind of ['key', 'value'] as const) {
      const parts = inputs.map((layers) => layers[layer]![kind]);
      const stacked =
        pads === undefined
          ? parts[0]!
          : graph.assumeShape(
              graph.concat(
                parts.map((part, source) =>
                  graph.assumeShape(graph.pad(part, pads![source]!), [`rows_${source}`, kvHeads, 'most', headDim]),
                ),
                0,
              ),
              ['stacked', kvHeads, 'most', headDim],
            );
      const slotRows = graph.reshape(graph.transpose(stacked, [0, 2, 1, 3]), [-1, kvHeads, headDim]); // [stacked · most, kvHeads, headDim]
      const picked = graph.gather(slotRows, indices, 0); // [rows, slots, kvHeads, headDim]
      graph.output(graph.transpose(picked, [0, 2, 1, 3]), gatheredCacheName(layer, kind));
    }
  }
  return graph;
}
