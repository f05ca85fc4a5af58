import { describe, expect, it } from 'vitest';
import { orderByDependencies } from './dependency-order.js';

const node = (name: string, ...dependsOn: string[]) => ({ name, dependsOn });

describe('orderByDependencies', () => {
  it('puts every container after what it depends on', () => {
    const result = orderByDependencies([node('web', 'api'), node('api', 'db'), node('db'), node('cache')]);
    expect(result.order.map((n) => n.name)).toEqual(['cache', 'db', 'api', 'web']);
    expect(result.cycles).toEqual([]);
    expect(result.blocked).toEqual([]);
  });

  it('ignores dependencies that are not being updated in this run', () => {
    const result = orderByDependencies([node('web', 'proxy'), node('api')]);
    expect(result.order.map((n) => n.name)).toEqual(['api', 'web']);
  });

  it('reports a cycle and leaves its members and their dependents unordered', () => {
    const result = orderByDependencies([
      node('a', 'b'),
      node('b', 'c'),
      node('c', 'a'),
      node('d', 'a'),
      node('e'),
    ]);
    expect(result.order.map((n) => n.name)).toEqual(['e']);
    expect(result.cycles).toEqual([['a', 'b', 'c']]);
    expect(result.blocked.map((b) => [b.node.name, b.reason])).toEqual([
      ['a', 'circular dependency: a → b → c → a'],
      ['b', 'circular dependency: a → b → c → a'],
      ['c', 'circular dependency: a → b → c → a'],
      ['d', 'depends on a, which cannot be ordered'],
    ]);
  });

  it('treats a self-reference as no dependency', () => {
    expect(orderByDependencies([node('a', 'a')]).order.map((n) => n.name)).toEqual(['a']);
  });
});
