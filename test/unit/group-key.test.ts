import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { RouteConfig } from '../../src/config/config.ts';
import { groupId, groupKey, groupLabels } from '../../src/core/group-key.ts';
import { newMatcher, type Matcher } from '../../src/core/matcher.ts';
import { buildRouteTree, matchRoutes, type Route } from '../../src/core/route.ts';
import { amVectors, amVectorsRouteConfig } from '../helpers/am-vectors.ts';

function childRoute(matchers: readonly Matcher[], groupBy?: readonly string[]): Route {
  const child: RouteConfig = { matchers, groupBy, continue: false, routes: [] };
  return buildRouteTree({ receiver: 'r', matchers: [], continue: false, routes: [child] }).routes[0];
}
const rootRoute = (groupBy?: readonly string[]): Route => buildRouteTree({ receiver: 'r', groupBy, matchers: [], continue: false, routes: [] });

describe('groupLabels', () => {
  it('keeps only the group_by labels the alert has', () => {
    assert.deepEqual(groupLabels(rootRoute(['alertname', 'cluster']), { alertname: 'A', instance: 'i', cluster: 'c' }), {
      alertname: 'A',
      cluster: 'c',
    });
    assert.deepEqual(groupLabels(rootRoute(['alertname', 'cluster']), { alertname: 'A' }), { alertname: 'A' });
  });

  it('keeps every label for `...` and none without group_by', () => {
    const labels = { a: '1', b: '2' };
    assert.deepEqual(groupLabels(rootRoute(['...']), labels), labels);
    assert.deepEqual(groupLabels(rootRoute(), labels), {});
    assert.deepEqual(groupLabels(rootRoute([]), labels), {});
  });

  it('handles label names that are Object.prototype members', () => {
    const labels = JSON.parse('{"__proto__":"p","constructor":"c"}');
    const picked = groupLabels(rootRoute(['__proto__', 'constructor', 'toString']), labels);
    assert.deepEqual(Object.entries(picked).sort(), [
      ['__proto__', 'p'],
      ['constructor', 'c'],
    ]);
  });
});

describe('groupKey and groupId', () => {
  it('renders the examples of Alertmanager’s own tests', () => {
    assert.equal(groupKey(rootRoute(['alertname']), { alertname: 'OtherAlert' }), '{}:{alertname="OtherAlert"}');
    assert.equal(
      groupKey(childRoute([newMatcher('=', 'env', 'prod')]), { service: 'api', alertname: 'HighErrorRate', cluster: 'aa' }),
      '{}/{env="prod"}:{alertname="HighErrorRate", cluster="aa", service="api"}',
    );
    assert.equal(groupKey(childRoute([newMatcher('=', 'severity', 'critical')]), {}), '{}/{severity="critical"}:{}');
  });

  it('Go-quotes group label values', () => {
    assert.equal(groupKey(rootRoute(['n']), { n: 'a"b\\c\n\u00a0😀' }), '{}:{n="a\\"b\\\\c\\n\\u00a0😀"}');
  });

  it('derives the id from receiver and key, so a continue fan-out keeps one group per receiver', () => {
    const key = '{}/{severity="critical"}:{alertname="HighLatency"}';
    const expected = createHash('sha256').update('pager\0' + key).digest('hex').slice(0, 32);
    assert.equal(groupId('pager', key), expected);
    assert.match(groupId('pager', key), /^[0-9a-f]{32}$/);
    assert.notEqual(groupId('pager', key), groupId('slack', key));
    assert.notEqual(groupId('pager', '{}:{}'), groupId('pager', '{}:{a="1"}'));
  });
});

describe('routing pipeline against Alertmanager', () => {
  it('reproduces every notification’s receiver, group key, group labels and alerts', () => {
    const root = buildRouteTree(amVectorsRouteConfig());
    const groups = new Map<string, { receiver: string; groupKey: string; groupLabels: object; alerts: string[] }>();
    for (const alert of amVectors.alerts) {
      for (const r of matchRoutes(root, alert.labels)) {
        const labels = groupLabels(r, alert.labels);
        const key = groupKey(r, labels);
        const id = `${r.receiver} ${key}`;
        const group = groups.get(id) ?? { receiver: r.receiver, groupKey: key, groupLabels: labels, alerts: [] };
        group.alerts.push(alert.fingerprint);
        groups.set(id, group);
      }
    }
    const expected = amVectors.notifications.map((n) => ({ ...n, alerts: [...n.alerts].sort() }));
    const actual = [...groups.values()].map((g) => ({ ...g, alerts: g.alerts.sort() }));
    const byId = (a: { receiver: string; groupKey: string }, b: { receiver: string; groupKey: string }): number =>
      `${a.receiver} ${a.groupKey}` < `${b.receiver} ${b.groupKey}` ? -1 : 1;
    assert.ok(expected.length >= 15);
    assert.deepEqual(actual.sort(byId), expected.sort(byId));
  });
});
