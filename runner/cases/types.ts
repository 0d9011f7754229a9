// The validated case model, by the names the plan compiler, the judge and the reports import;
// defined with the language (./case.ts, ./steps.ts, ./expect.ts, ./shapes.ts).
export type { Case } from './case.js';
export type { Expectation, ExpectedSpan, ExpectedVma } from './expect.js';
export type { ProbeSource } from './probe.js';
export type { Outcome, PageRange, Requirements, SourcePos } from './shapes.js';
export type { Step } from './steps.js';
