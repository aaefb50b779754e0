import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteConfig } from '../../src/config/config.ts';
import { newMatcher, type Matcher } from '../../src/core/matcher.ts';
import { buildRouteTree, indexRoutes, matchRoutes, type Route } from '../../src/core/route.ts';
import { amVectors, amVectorsRouteConfig } from '../helpers/am-vectors.ts';

function route(fields: Partial<RouteConfig> & { matchers?: readonly Matcher[] } = {}): RouteConfig {
  return { matchers: [], continue: false, routes: [], ...fields };
}
const eq = (name: string, value: string): Matcher => newMatcher('=', name, value);

describe('buildRouteTree', () => {
  it('applies Alertmanager defaults at the root', () => {
    const root = buildRouteTree(route({ receiver: 'r' }));
    assert.equal(root.receiver, 'r');
    assert.deepEqual([root.groupWait, root.groupInterval, root.repeatInterval], [30_000, 300_000, 14_400_000]);
    assert.deepEqual(root.groupBy, []);
    assert.equal(root.groupByAll, false);
    assert.equal(root.key, '{}');
    assert.equal(root.id, '{}');
  });

  it('requires a receiver at the root', () => {
    assert.throws(() => buildRouteTree(route()), /root route has no receiver/);
  });

  it('inherits receiver, group_by and timings, but not matchers or continue', () => {
    const root = buildRouteTree(
      route({
        receiver: 'parent',
        groupBy: ['a', 'b'],
        groupWait: 1,
        groupInterval: 2,
        repeatInterval: 3,
        routes: [route({ matchers: [eq('x', '1')], continue: true, routes: [route()] })],
      }),
    );
    const child = root.routes[0];
    const grandchild = child.routes[0];
    assert.equal(grandchild.receiver, 'parent');
    assert.deepEqual(grandchild.groupBy, ['a', 'b']);
    assert.deepEqual([grandchild.groupWait, grandchild.groupInterval, grandchild.repeatInterval], [1, 2, 3]);
    assert.equal(child.continue, true);
    assert.equal(grandchild.continue, false);
    assert.deepEqual(grandchild.matchers, []);
  });

  it('lets a child override each option', () => {
    const root = buildRouteTree(
      route({
        receiver: 'parent',
        groupBy: ['a'],
        routes: [route({ receiver: 'child', groupBy: ['c'], groupWait: 0, groupInterval: 10, repeatInterval: 20 })],
      }),
    );
    const child = root.routes[0];
    assert.equal(child.receiver, 'child');
    assert.deepEqual(child.groupBy, ['c']);
    assert.deepEqual([child.groupWait, child.groupInterval, child.repeatInterval], [0, 10, 20]);
  });

  it('reads an explicit `group_by: []` as no grouping labels (current Alertmanager; 0.25 inherited)', () => {
    const root = buildRouteTree(route({ receiver: 'r', groupBy: ['a'], routes: [route({ groupBy: [] })] }));
    assert.deepEqual(root.routes[0].groupBy, []);
    assert.equal(root.routes[0].groupByAll, false);
  });

  it("inherits `...`, and an explicit list turns it off", () => {
    const root = buildRouteTree(
      route({ receiver: 'r', groupBy: ['...'], routes: [route({ routes: [route()] }), route({ groupBy: ['x'] })] }),
    );
    assert.equal(root.groupByAll, true);
    assert.deepEqual(root.groupBy, []);
    assert.equal(root.routes[0].routes[0].groupByAll, true);
    assert.equal(root.routes[1].groupByAll, false);
    assert.deepEqual(root.routes[1].groupBy, ['x']);
  });

  it('builds route keys from the sorted matchers of each level', () => {
    const root = buildRouteTree(
      route({
        receiver: 'r',
        routes: [
          route({
            matchers: [eq('team', 'db')],
            routes: [route({ matchers: [newMatcher('=~', 'severity', '^(?:crit|page)$')] })],
          }),
          route({ matchers: [newMatcher('=~', 'severity', 'crit|page'), eq('env', 'prod')] }),
        ],
      }),
    );
    assert.equal(root.routes[0].key, '{}/{team="db"}');
    assert.equal(root.routes[0].routes[0].key, '{}/{team="db"}/{severity=~"^(?:crit|page)$"}');
    assert.equal(root.routes[1].key, '{}/{env="prod",severity=~"crit|page"}');
  });

  it('builds route IDs with each level’s sibling index', () => {
    const root = buildRouteTree(
      route({
        receiver: 'r',
        routes: [route({ matchers: [eq('a', '1')], routes: [route(), route({ matchers: [eq('b', '2')] })] }), route({ matchers: [eq('a', '1')] })],
      }),
    );
    assert.equal(root.routes[0].id, '{}/{a="1"}/0');
    assert.equal(root.routes[0].routes[0].id, '{}/{a="1"}/0/{}/0');
    assert.equal(root.routes[0].routes[1].id, '{}/{a="1"}/0/{b="2"}/1');
    assert.equal(root.routes[1].id, '{}/{a="1"}/1');
    assert.equal(root.routes[1].key, root.routes[0].key, 'keys need not be unique');
  });
});

describe('indexRoutes', () => {
  it('finds every route by its id', () => {
    const root = buildRouteTree(amVectorsRouteConfig());
    const index = indexRoutes(root);
    const all: Route[] = [];
    const walk = (r: Route): void => {
      all.push(r);
      r.routes.forEach(walk);
    };
    walk(root);
    assert.equal(index.size, all.length);
    for (const r of all) assert.equal(index.get(r.id), r);
  });
});

describe('matchRoutes', () => {
  const tree = buildRouteTree(
    route({
      receiver: 'root',
      routes: [
        route({
          receiver: 'db',
          matchers: [eq('team', 'db')],
          routes: [route({ receiver: 'db-crit', matchers: [eq('severity', 'crit')] })],
        }),
        route({ receiver: 'copy', matchers: [newMatcher('=~', 'env', 'prod|stage')], continue: true }),
        route({ receiver: 'env', matchers: [newMatcher('=~', 'env', '.+')] }),
        route({ receiver: 'never', matchers: [newMatcher('=~', 'env', '.*')] }),
      ],
    }),
  );
  const receivers = (labels: Record<string, string>): string[] => matchRoutes(tree, labels).map((r) => r.receiver);

  it('falls back to the root when no child matches', () => {
    const noCatchAll = buildRouteTree(route({ receiver: 'root', routes: [route({ receiver: 'x', matchers: [eq('a', 'b')] })] }));
    assert.deepEqual(matchRoutes(noCatchAll, { a: 'c' }).map((r) => r.receiver), ['root']);
    assert.deepEqual(matchRoutes(buildRouteTree(route({ receiver: 'only' })), {}).map((r) => r.receiver), ['only']);
  });

  it('uses the leaf-most matching route, never its parent as well', () => {
    assert.deepEqual(receivers({ team: 'db', severity: 'crit' }), ['db-crit']);
    assert.deepEqual(receivers({ team: 'db', severity: 'warn' }), ['db']);
  });

  it('stops at the first matching sibling unless it has continue', () => {
    assert.deepEqual(receivers({ env: 'prod' }), ['copy', 'env']);
    assert.deepEqual(receivers({ env: 'dev' }), ['env']);
    assert.deepEqual(receivers({ team: 'db', env: 'prod' }), ['db']);
  });

  it('lets a missing label match `.*`, so env=~".*" catches alerts without env', () => {
    assert.deepEqual(receivers({ alertname: 'x' }), ['never']);
  });

  it('routes every recorded alert to the receivers Alertmanager notified', () => {
    const root = buildRouteTree(amVectorsRouteConfig());
    for (const alert of amVectors.alerts) {
      const expected = amVectors.notifications.filter((n) => n.alerts.includes(alert.fingerprint)).map((n) => n.receiver);
      const actual = matchRoutes(root, alert.labels).map((r) => r.receiver);
      assert.deepEqual(actual.sort(), expected.sort(), JSON.stringify(alert.labels));
    }
  });
});
