import type { Alert } from '../../src/core/alert.ts';
import { fingerprint } from '../../src/core/fingerprint.ts';
import type { GroupState } from '../../src/core/group.ts';
import type { LabelSet } from '../../src/core/label-set.ts';
import type { Route } from '../../src/core/route.ts';

export function makeAlert(labels: LabelSet, times: Partial<Pick<Alert, 'startsAt' | 'endsAt' | 'updatedAt' | 'timeout'>> = {}): Alert {
  return {
    fingerprint: fingerprint(labels),
    labels,
    annotations: {},
    startsAt: times.startsAt ?? 0,
    endsAt: times.endsAt ?? 1e12,
    generatorURL: '',
    updatedAt: times.updatedAt ?? 0,
    timeout: times.timeout ?? false,
  };
}

export function makeRoute(overrides: Partial<Route> = {}): Route {
  return {
    id: '{}',
    key: '{}',
    receiver: 'default',
    groupBy: ['alertname'],
    groupByAll: false,
    groupWait: 1_000,
    groupInterval: 10_000,
    repeatInterval: 60_000,
    matchers: [],
    continue: false,
    routes: [],
    ...overrides,
  };
}

export function makeGroup(alerts: readonly Alert[], overrides: Partial<GroupState> = {}): GroupState {
  return {
    id: 'g1',
    key: '{}:{alertname="A"}',
    routeId: '{}',
    receiver: 'default',
    labels: { alertname: 'A' },
    createdAt: 0,
    origin: 1_000,
    lastTick: 0,
    alerts,
    log: {},
    ...overrides,
  };
}
