/**
 * The `k` best of `candidates` (document numbers), best first: by `scores[document]` descending, then by
 * `ids[document]` ascending (JavaScript `<` on strings, or on numbers such as id ranks), so equal scores come
 * out in a fixed order.
 *
 * @param candidates `[count]` (only the first `count` entries are read)
 * @param scores `[documents]`
 * @param ids `[documents]`
 */
export function selectTopDocuments<Key extends string | number>(
  candidates: Int32Array,
  count: number,
  k: number,
  scores: Float64Array,
  ids: ArrayLike<Key>,
): number[] {
  const isBetter = (a: number, b: number): boolean => {
    const difference = scores[a]! - scores[b]!;
    return difference > 0 || (difference === 0 && ids[a]! < ids[b]!);
  };
  const compare = (a: number, b: number): number => (isBetter(a, b) ? -1 : isBetter(b, a) ? 1 : 0);
  if (k <= 0 || count === 0) return [];
  if (count <= k) return Array.from(candidates.subarray(0, count)).sort(compare);

  // A binary heap of the k best so far, the worst of them at the root.
  const heap: number[] = [];
  const siftUp = (position: number): void => {
    while (position > 0) {
      const parent = (position - 1) >> 1;
      if (!isBetter(heap[parent]!, heap[position]!)) break;
      [heap[parent], heap[position]] = [heap[position]!, heap[parent]!];
      position = parent;
    }
  };
  const siftDown = (position: number): void => {
    for (;;) {
      const left = 2 * position + 1;
      if (left >= heap.length) return;
      const right = left + 1;
      const worse = right < heap.length && isBetter(heap[left]!, heap[right]!) ? right : left;
      if (!isBetter(heap[position]!, heap[worse]!)) return;
      [heap[position], heap[worse]] = [heap[worse]!, heap[position]!];
      position = worse;
    }
  };
  for (let index = 0; index < count; index += 1) {
    const document = candidates[index]!;
    if (heap.length < k) {
      heap.push(document);
      siftUp(heap.length - 1);
    } else if (isBetter(document, heap[0]!)) {
      heap[0] = document;
      siftDown(0);
    }
  }
  return heap.sort(compare);
}
