/**
 * The write-ahead update state machine (../shared/DESIGN.md). Every transition is journaled before the
 * action it announces; the journal refuses any transition not listed here.
 */
export const UPDATE_STATES = [
  'queued',
  'validating',
  'applying',
  'verifying',
  'succeeded',
  'failed',
  'rolling-back',
  'rolled-back',
  'rollback-failed',
  'cancelled',
] as const;

export type UpdateState = (typeof UPDATE_STATES)[number];

const TRANSITIONS: Readonly<Record<UpdateState, readonly UpdateState[]>> = {
  queued: ['validating', 'cancelled'],
  validating: ['applying', 'failed', 'cancelled'],
  applying: ['verifying', 'failed', 'rolling-back'],
  verifying: ['succeeded', 'rolling-back'],
  'rolling-back': ['rolled-back', 'rollback-failed'],
  succeeded: [],
  failed: [],
  'rolled-back': [],
  'rollback-failed': [],
  cancelled: [],
};

export const TERMINAL_STATES: readonly UpdateState[] = UPDATE_STATES.filter(
  (s) => TRANSITIONS[s].length === 0,
);

export function isTerminal(state: UpdateState): boolean {
  return TRANSITIONS[state].length === 0;
}

export function canTransition(from: UpdateState, to: UpdateState): boolean {
  return TRANSITIONS[from].includes(to);
}

export function nextStates(from: UpdateState): readonly UpdateState[] {
  return TRANSITIONS[from];
}
