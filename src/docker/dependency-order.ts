/**
 * Update order for containers that depend on each other (depends-on labels, `network_mode: container:X`):
 * a container is updated after everything it depends on. Kahn's algorithm, ties broken by name so the order
 * is stable. Members of a cycle — and whatever depends on them — are not ordered but reported, like
 * Watchtower's "circular reference" refusal, so nobody updates them in an arbitrary order.
 */

export interface DependencyNode {
  name: string;
  dependsOn: readonly string[];
}

export interface DependencyOrder<T extends DependencyNode> {
  order: T[];
  /** Each cycle once, as the names around it ("a → b → a" is ['a', 'b']). */
  cycles: string[][];
  /** Nodes left out, with why. */
  blocked: { node: T; reason: string }[];
}

export function orderByDependencies<T extends DependencyNode>(nodes: readonly T[]): DependencyOrder<T> {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  // Dependencies outside the set are not being updated now: they do not constrain the order.
  const deps = new Map(
    nodes.map((node) => [node.name, node.dependsOn.filter((d) => byName.has(d) && d !== node.name)]),
  );
  const remaining = new Map([...deps].map(([name, list]) => [name, new Set(list)]));
  const order: T[] = [];
  for (;;) {
    const ready = [...remaining].filter(([, pending]) => pending.size === 0).map(([name]) => name);
    if (ready.length === 0) break;
    ready.sort();
    const next = ready[0] as string;
    remaining.delete(next);
    for (const pending of remaining.values()) pending.delete(next);
    order.push(byName.get(next) as T);
  }
  const cycles = findCycles([...remaining.keys()].sort(), (name) =>
    (deps.get(name) ?? []).filter((d) => remaining.has(d)),
  );
  const inCycle = new Set(cycles.flat());
  const blocked = [...remaining.keys()].sort().map((name) => {
    const node = byName.get(name) as T;
    if (inCycle.has(name)) {
      const cycle = cycles.find((c) => c.includes(name)) ?? [name];
      return { node, reason: `circular dependency: ${[...cycle, cycle[0]].join(' → ')}` };
    }
    const waiting = (deps.get(name) ?? []).filter((d) => remaining.has(d));
    return { node, reason: `depends on ${waiting.join(', ')}, which cannot be ordered` };
  });
  return { order, cycles, blocked };
}

/** Strongly connected components with more than one member (or a self-loop), Tarjan's algorithm. */
function findCycles(names: string[], edges: (name: string) => string[]): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (name: string): void => {
    indices.set(name, index);
    low.set(name, index);
    index++;
    stack.push(name);
    onStack.add(name);
    for (const next of edges(name)) {
      if (!indices.has(next)) {
        visit(next);
        low.set(name, Math.min(low.get(name) as number, low.get(next) as number));
      } else if (onStack.has(next)) {
        low.set(name, Math.min(low.get(name) as number, indices.get(next) as number));
      }
    }
    if (low.get(name) === indices.get(name)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        component.push(member);
      } while (member !== name);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const name of names) if (!indices.has(name)) visit(name);
  return cycles;
}
