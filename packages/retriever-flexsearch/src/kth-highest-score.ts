/** The k-th highest of `scores[reached[0…count)]` (count ≥ k), by a min-heap of k scores. */
export function kthHighestScore(scores: Float64Array, reached: Int32Array, count: number, k: number): number {
  const heap = new Float64Array(k);
  for (let index = 0; index < k; index += 1) heap[index] = scores[reached[index]!]!;
  heap.sort();
  // heap[0] is the smallest of the k kept; keep it a min-heap as larger scores replace it.
  for (let index = k; index < count; index += 1) {
    const score = scores[reached[index]!]!;
    if (score <= heap[0]!) continue;
    heap[0] = score;
    let position = 0;
    for (;;) {
      const left = 2 * position + 1;
      if (left >= k) break;
      const right = left + 1;
      const smaller = right < k && heap[right]! < heap[left]! ? right : left;
      if (heap[smaller]! >= heap[position]!) break;
      const swap = heap[smaller]!;
      heap[smaller] = heap[position]!;
      heap[position] = swap;
      position = smaller;
    }
  }
  return heap[0]!;
}
