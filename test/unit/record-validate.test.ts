// `expect.record`: the views it names compile to their ops (query and map_files on every window
// page, pagemap of the whole window), the judge checks nothing of them, and its mistakes are
// reported at file:line:col with what is allowed.
import { describe, expect, it } from 'vitest';
import { formatDiagnostic, parseCase } from '../../runner/cases/load.js';
import { compileCase } from '../../runner/plan/compile.js';

const head = `title: t\nwindow: 6\nsteps:\n  - map: { id: a, at: 2, pages: 2 }\n  - expect: `;

describe('expect.record', () => {
  it('compiles every view: smaps, rollup, a query and a map_files lookup per window page, pagemap of the window, fork points', () => {
    const c = parseCase(`${head}{ record: all }\n`, 'x.yaml', 'x').case!;
    const ops = compileCase(c, 0).steps.map((s) => s.op.op);
    expect(ops.filter((o) => o === 'query')).toHaveLength(6);
    expect(ops.filter((o) => o === 'mapfile')).toHaveLength(6);
    expect(ops.filter((o) => o === 'smaps' || o === 'rollup' || o === 'pagemap' || o === 'fork-points')).toEqual(['smaps', 'rollup', 'pagemap', 'fork-points']);
    // A record checks nothing, so it needs no fault injection (the count's record says ENOENT without it).
    expect(c.requires.kconfig).not.toContain('FAILSLAB');
    const some = parseCase(`${head}{ record: [pagemap, pagemap] }\n`, 'x.yaml', 'x').case!;
    expect(compileCase(some, 0).steps.map((s) => s.op.op)).toEqual(['map', 'snapshot', 'pagemap']);
  });

  it('reports a view it does not know, an empty list and another value at the value, with what is allowed', () => {
    const err = (v: string): string[] => parseCase(`${head}{ record: ${v} }\n`, 'x.yaml', 'x').diagnostics.map((d) => formatDiagnostic(d, { excerpt: false }));
    expect(err('[maps]')[0]).toMatch(/^x\.yaml:5:24: .*unknown view.*maps.*smaps, rollup, query, map_files, pagemap, fork_points/);
    expect(err('[]')[0]).toMatch(/^x\.yaml:5:23: .*an empty list; give the views to record, or all/);
    expect(err('yes')[0]).toMatch(/^x\.yaml:5:23: .*expected all or a list of smaps, rollup, query, map_files, pagemap, fork_points, got/);
  });
});
