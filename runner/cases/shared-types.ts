// The smallest pieces of the case model, by the names their users import; defined with the
// language (./shapes.ts, ./steps.ts, ./expect.ts).
export type { ExpectedSpan, ExpectedVma } from './expect.js';
export type { Outcome, PageRange, SourcePos } from './shapes.js';
export { MAP_FLAGS, type MapFlag } from './steps.js';
