import { InvalidConfigError, type TrajectoryFinishReason } from '@research-ts/spec';

/** What a stop predicate looks at: the sample's response so far and how many generations it has had. */
export interface StopState {
  /** Generated plus inserted tokens so far. */
  readonly responseLength: number;
  /** Completed generations (turns) of the sample. */
  readonly turns: number;
}

/** Says why a sample must stop now, or `undefined` to go on. */
export type StopPredicate = (state: StopState) => TrajectoryFinishReason | undefined;

function positiveInteger(path: string, value: number): void {
  if (!Number.isInteger(value) || value < 1)
    throw new InvalidConfigError(path, `must be a positive integer, got ${String(value)}`);
}

/** `'budget'` once generated plus inserted tokens reach `limit` (ReSearch: `>= response_length`, 8192). */
export function tokenBudget(limit: number): StopPredicate {
  positiveInteger('responseBudget', limit);
  return (state) => (state.responseLength >= limit ? 'budget' : undefined);
}

/** `'max-turns'` once a sample has had `limit` generations (ReSearch has none; ReCall uses 5). */
export function maxTurns(limit: number): StopPredicate {
  positiveInteger('maxTurns', limit);
  return (state) => (state.turns >= limit ? 'max-turns' : undefined);
}

/** The first predicate's reason to stop, if any. */
export function firstStop(predicates: readonly StopPredicate[], state: StopState): TrajectoryFinishReason | undefined {
  for (const predicate of predicates) {
    const reason = predicate(state);
    if (reason !== undefined) return reason;
  }
  return undefined;
}
