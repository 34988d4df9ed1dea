// The scenarios, by the name used on the command line.
import { fanout } from './fanout.js';
import { idle } from './idle.js';
import { steady } from './steady.js';
import type { Scenario } from './types.js';

export const SCENARIOS = { steady, fanout, idle } as unknown as Record<string, Scenario>;
