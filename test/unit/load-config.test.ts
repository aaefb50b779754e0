import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ConfigError } from '../../src/config/config-error.ts';
import { loadConfig, parseConfig } from '../../src/config/load-config.ts';
import type { Config, RouteConfig } from '../../src/config/config.ts';
import type { Matcher } from '../../src/core/matcher.ts';

const FIXTURES = join(import.meta.dirname, '../fixtures/config');
/** Named inside the fixtures directory so that `*_file` paths resolve there. */
const FILE = join(FIXTURES, 'alertmanager.yml');

const MINIMAL = 'route:\n  receiver: default\nreceivers:\n  - name: default';

function yaml(...lines: string[]): string {
  return lines.join('\n') + '\n';
}

function plain(matchers: readonly Matcher[]): Array<[string, string, string]> {
  return matchers.map((matcher) => [matcher.name, matcher.type, matcher.value]);
}

/** The ConfigError that parsing `text` as `alertmanager.yml` throws. */
function failure(text: string): ConfigError {
  try {
    parseConfig(text, 'alertmanager.yml');
  } catch (error) {
    assert.ok(error instanceof ConfigError, `expected a ConfigError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a ConfigError');
}

/** Asserts that parsing fails with exactly this message. */
function rejects(text: string, message: string): ConfigError {
  const error = failure(text);
  assert.equal(error.message, message);
  return error;
}

describe('parseConfig: a minimal file', () => {
  const config = parseConfig(MINIMAL, 'alertmanager.yml');

  it('fills in Alertmanager defaults', () => {
    assert.equal(config.file, 'alertmanager.yml');
    assert.deepEqual(config.global, { resolveTimeout: 5 * 60_000, httpConfig: { tlsInsecureSkipVerify: false, followRedirects: true } });
    assert.deepEqual(config.route, { receiver: 'default', matchers: [], continue: false, routes: [] });
    assert.deepEqual(config.receivers, [{ name: 'default', webhookConfigs: [] }]);
    assert.deepEqual(config.warnings, []);
  });

  it('leaves group_by and timings unset for the route tree to default', () => {
    assert.equal(config.route.groupBy, undefined);
    assert.equal(config.route.groupWait, undefined);
    assert.equal(config.route.groupInterval, undefined);
    assert.equal(config.route.repeatInterval, undefined);
  });
});

describe('loadConfig: the full fixture', async () => {
  const config = await loadConfig(join(FIXTURES, 'full.yml'));
  const [database, frontend] = config.route.routes;

  it('reads global', () => {
    assert.equal(config.global.resolveTimeout, 10 * 60_000);
    assert.deepEqual(config.global.httpConfig, {
      basicAuth: { username: 'grouper', password: 'global-password' },
      tlsInsecureSkipVerify: false,
      followRedirects: false,
    });
  });

  it('reads the root route', () => {
    assert.equal(config.route.receiver, 'default');
    assert.deepEqual(config.route.groupBy, ['alertname', 'cluster']);
    assert.equal(config.route.groupWait, 10_000);
    assert.equal(config.route.groupInterval, 60_000);
    assert.equal(config.route.repeatInterval, 3 * 3600_000);
    assert.equal(config.route.continue, false);
    assert.equal(config.route.routes.length, 2);
  });

  it('merges matchers, match and match_re, sorted, with match_re anchored', () => {
    assert.deepEqual(plain(database.matchers), [
      ['service', '=', 'postgres'],
      ['severity', '=~', 'critical|page'],
      ['team', '=', 'db'],
    ]);
    assert.deepEqual(plain(frontend.matchers), [['service', '=~', '^(?:web|api)$']]);
    assert.deepEqual(plain(frontend.routes[0].matchers), [['env', '!=', 'dev']]);
  });

  it('reads child options, leaving unset ones to inherit', () => {
    assert.equal(database.receiver, 'database');
    assert.deepEqual(database.groupBy, ['...']);
    assert.equal(database.continue, true);
    assert.equal(database.groupWait, undefined);
    assert.equal(frontend.groupWait, 0);
    assert.deepEqual(frontend.routes[0].groupBy, []);
  });

  it('reads webhooks, with url_file and credential files read and trimmed', () => {
    const byName = new Map(config.receivers.map((receiver) => [receiver.name, receiver]));
    assert.deepEqual([...byName.keys()], ['default', 'database', 'frontend', 'blackhole']);
    assert.deepEqual(byName.get('default')!.webhookConfigs, [
      {
        url: 'http://127.0.0.1:5001/hook?token=inline-token',
        sendResolved: true,
        maxAlerts: 0,
        timeout: 0,
        // No http_config of its own: the global one.
        httpConfig: config.global.httpConfig,
      },
    ]);
    assert.deepEqual(byName.get('database')!.webhookConfigs, [
      {
        url: 'https://hooks.example.com/from-file?token=abc',
        sendResolved: false,
        maxAlerts: 20,
        timeout: 15_000,
        httpConfig: { authorization: { type: 'Bearer', credentials: 'file-token' }, tlsInsecureSkipVerify: true, followRedirects: true },
      },
      {
        url: 'https://db-hooks.example.com/',
        sendResolved: true,
        maxAlerts: 0,
        timeout: 0,
        httpConfig: { authorization: { type: 'Bearer', credentials: 'legacy-token' }, tlsInsecureSkipVerify: false, followRedirects: true },
      },
    ]);
    assert.deepEqual(byName.get('frontend')!.webhookConfigs[0].httpConfig, {
      basicAuth: { username: 'fe', password: 'file-password' },
      tlsInsecureSkipVerify: false,
      followRedirects: true,
    });
    assert.deepEqual(byName.get('blackhole')!.webhookConfigs, []);
  });

  it('warns about the global settings it ignores, with their lines', () => {
    const file = join(FIXTURES, 'full.yml');
    assert.deepEqual(config.warnings, [
      `${file}:9: global.smtp_smarthost: ignored: Grouper sends only webhook notifications`,
      `${file}:10: global.slack_api_url: ignored: Grouper sends only webhook notifications`,
    ]);
  });

  describe('original', () => {
    it('hides every secret', () => {
      for (const secret of ['global-password', 'hooks.slack.com', 'inline-token', 'legacy-token', 'db-hooks.example.com', 'frontend.example.com']) {
        assert.ok(!config.original.includes(secret), `${secret} is visible`);
      }
    });

    it('drops comments, which may quote secrets', () => {
      assert.ok(!config.original.includes('#'));
    });

    it('keeps everything else, and is YAML', () => {
      const original = parse(config.original);
      assert.equal(original.global.http_config.basic_auth.password, '<secret>');
      assert.equal(original.global.http_config.basic_auth.username, 'grouper');
      assert.equal(original.global.slack_api_url, '<secret>');
      assert.equal(original.global.smtp_smarthost, 'mail.example.com:25');
      assert.equal(original.receivers[0].webhook_configs[0].url, '<secret>');
      assert.equal(original.receivers[1].webhook_configs[0].url_file, 'webhook-url.txt');
      assert.equal(original.receivers[1].webhook_configs[1].http_config.bearer_token, '<secret>');
      assert.equal(original.route.routes[1].match_re.service, 'web|api');
      assert.deepEqual(original.route.routes[0].matchers, ['team="db"', 'severity=~"critical|page"']);
    });
  });
});

describe('loadConfig', () => {
  it('reports a file it cannot read', async () => {
    const file = join(FIXTURES, 'missing.yml');
    await assert.rejects(loadConfig(file), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, `${file}: cannot read the file: ENOENT`);
      return true;
    });
  });
});

describe('ConfigError', () => {
  it('carries the file, path, line and problem', () => {
    const error = rejects(
      yaml('route:', '  receiver: a', '  routes:', '    - receiver: a', '    - receiver: a', '      group_wait: 5x', 'receivers: [{name: a}]'),
      'alertmanager.yml:6: route.routes[1].group_wait: not a valid duration "5x"',
    );
    assert.equal(error.name, 'ConfigError');
    assert.equal(error.file, 'alertmanager.yml');
    assert.equal(error.path, 'route.routes[1].group_wait');
    assert.equal(error.line, 6);
    assert.equal(error.problem, 'not a valid duration "5x"');
  });
});

describe('parseConfig: the file as a whole', () => {
  it('rejects an empty file', () => {
    rejects('', 'alertmanager.yml: the file is empty');
  });
  it('rejects a file of comments', () => {
    rejects('# nothing\n\n', 'alertmanager.yml: the file is empty');
  });
  it('rejects a file that is not a mapping', () => {
    rejects('- route\n', 'alertmanager.yml:1: expected a mapping');
  });
  it('rejects broken YAML, with the line', () => {
    const error = failure(yaml('route:', '  receiver: default', '  group_by: [alertname', 'receivers: []'));
    assert.equal(error.path, '');
    assert.equal(error.line, 4);
    assert.equal(error.message, `alertmanager.yml:4: ${error.problem}`);
  });
  it('rejects duplicated keys', () => {
    rejects(yaml('route:', '  receiver: a', '  receiver: b'), 'alertmanager.yml:3: Map keys must be unique');
  });
  it('rejects unknown top-level fields', () => {
    rejects(yaml(MINIMAL, 'routes: []'), 'alertmanager.yml:5: routes: unknown field');
  });
  it('rejects a file without a route', () => {
    rejects(yaml('receivers: [{name: a}]'), 'alertmanager.yml:1: no route: the root route is required');
  });
  it('rejects inhibit_rules, accepting an empty list', () => {
    assert.doesNotThrow(() => parseConfig(yaml(MINIMAL, 'inhibit_rules: []'), 'alertmanager.yml'));
    rejects(
      yaml(MINIMAL, 'inhibit_rules:', '  - source_matchers: [severity="critical"]', '    target_matchers: [severity="warning"]'),
      'alertmanager.yml:5: inhibit_rules: inhibit_rules are not supported by Grouper',
    );
  });
  it('rejects time intervals, accepting empty lists', () => {
    assert.doesNotThrow(() => parseConfig(yaml(MINIMAL, 'time_intervals: []', 'mute_time_intervals: []'), 'alertmanager.yml'));
    rejects(
      yaml(MINIMAL, 'time_intervals:', '  - name: offhours', '    time_intervals: [{weekdays: [saturday]}]'),
      'alertmanager.yml:5: time_intervals: time intervals are not supported by Grouper',
    );
    rejects(
      yaml(MINIMAL, 'mute_time_intervals:', '  - name: offhours', '    time_intervals: []'),
      'alertmanager.yml:5: mute_time_intervals: time intervals are not supported by Grouper',
    );
  });
  it('accepts templates and tracing with a warning', () => {
    const config = parseConfig(yaml(MINIMAL, "templates: ['/etc/am/*.tmpl']", 'tracing:', '  endpoint: x:4317'), 'alertmanager.yml');
    assert.deepEqual(config.warnings, [
      'alertmanager.yml:5: templates: ignored: webhook payloads do not use templates',
      'alertmanager.yml:6: tracing: ignored: Grouper does not export traces',
    ]);
  });
});

describe('parseConfig: global', () => {
  it('rejects an unknown field', () => {
    rejects(yaml('global:', '  resolve_timout: 5m', MINIMAL), 'alertmanager.yml:2: global.resolve_timout: unknown field');
  });
  it('rejects a bad resolve_timeout', () => {
    rejects(yaml('global:', '  resolve_timeout: 5', MINIMAL), 'alertmanager.yml:2: global.resolve_timeout: not a valid duration "5"');
  });
  it('hides ignored global secrets in original', () => {
    const config = parseConfig(yaml('global:', '  smtp_auth_password: hunter2', '  opsgenie_api_key: k3y', MINIMAL), 'alertmanager.yml');
    assert.ok(!config.original.includes('hunter2') && !config.original.includes('k3y'));
    assert.equal(config.warnings.length, 2);
  });
  it('treats an empty global block as absent', () => {
    assert.equal(parseConfig(yaml('global:', MINIMAL), 'alertmanager.yml').global.resolveTimeout, 5 * 60_000);
  });
});

describe('parseConfig: the route tree', () => {
  const receivers = 'receivers: [{name: a}, {name: b}]';

  function route(...lines: string[]): string {
    return yaml('route:', '  receiver: a', ...lines, receivers);
  }

  function read(...lines: string[]): RouteConfig {
    return parseConfig(route(...lines), 'alertmanager.yml').route;
  }

  it('rejects a root route without a receiver', () => {
    rejects(yaml('route:', '  group_wait: 1s', receivers), 'alertmanager.yml:1: route: the root route needs a receiver');
  });
  for (const [field, value] of [
    ['matchers', '[a="b"]'],
    ['match', '{a: b}'],
    ['match_re', '{a: b.*}'],
  ]) {
    it(`rejects ${field} on the root route`, () => {
      rejects(route(`  ${field}: ${value}`), `alertmanager.yml:3: route.${field}: the root route must not have matchers: every alert starts there`);
    });
  }
  it('rejects continue on the root route', () => {
    rejects(route('  continue: true'), 'alertmanager.yml:3: route.continue: the root route must not have continue');
    assert.equal(read('  continue: false').continue, false);
  });
  it('rejects a receiver that does not exist', () => {
    rejects(route('  routes:', '    - receiver: c'), 'alertmanager.yml:4: route.routes[0].receiver: undefined receiver "c"');
    rejects(yaml('route:', '  receiver: c', receivers), 'alertmanager.yml:2: route.receiver: undefined receiver "c"');
  });
  it('rejects an unknown route field', () => {
    rejects(route('  routes:', '    - recevier: b'), 'alertmanager.yml:4: route.routes[0].recevier: unknown field');
  });
  it('rejects mute and active time intervals', () => {
    rejects(route('  routes:', '    - mute_time_intervals: [offhours]'), 'alertmanager.yml:4: route.routes[0].mute_time_intervals: not supported by Grouper');
    rejects(route('  routes:', '    - active_time_intervals: [hours]'), 'alertmanager.yml:4: route.routes[0].active_time_intervals: not supported by Grouper');
  });
  it('rejects zero group_interval and repeat_interval, but not zero group_wait', () => {
    rejects(route('  group_interval: 0s'), 'alertmanager.yml:3: route.group_interval: must not be zero');
    rejects(route('  routes:', '    - repeat_interval: 0'), 'alertmanager.yml:4: route.routes[0].repeat_interval: must not be zero');
    assert.equal(read('  group_wait: 0s').groupWait, 0);
  });
  it('rejects an unparsable duration', () => {
    rejects(route('  repeat_interval: 4 hours'), 'alertmanager.yml:3: route.repeat_interval: not a valid duration "4 hours"');
    rejects(route('  group_wait: 30'), 'alertmanager.yml:3: route.group_wait: not a valid duration "30"');
  });

  describe('group_by', () => {
    it('keeps absent, empty and `...` apart', () => {
      assert.equal(read().groupBy, undefined);
      assert.deepEqual(read('  group_by: []').groupBy, []);
      assert.deepEqual(read("  group_by: ['...']").groupBy, ['...']);
      assert.deepEqual(read('  group_by: [alertname, "service.name", 名前]').groupBy, ['alertname', 'service.name', '名前']);
    });
    it('rejects duplicates', () => {
      rejects(route('  group_by:', '    - alertname', '    - alertname'), 'alertmanager.yml:5: route.group_by[1]: duplicated label "alertname"');
    });
    it('rejects `...` mixed with names', () => {
      rejects(route("  group_by: ['...', alertname]"), 'alertmanager.yml:3: route.group_by: cannot mix `...` (group by all labels) with label names');
    });
    it('rejects an empty label name', () => {
      rejects(route('  group_by: [""]'), 'alertmanager.yml:3: route.group_by[0]: invalid label name ""');
    });
    it('rejects a group_by that is not a list', () => {
      rejects(route('  group_by: alertname'), 'alertmanager.yml:3: route.group_by: expected a list');
    });
  });

  describe('matchers', () => {
    it('turns match into equality matchers', () => {
      assert.deepEqual(plain(read('  routes:', '    - match: {severity: critical, team: db}').routes[0].matchers), [
        ['severity', '=', 'critical'],
        ['team', '=', 'db'],
      ]);
    });
    it('stores match_re anchored, as Alertmanager does', () => {
      assert.deepEqual(plain(read('  routes:', '    - match_re: {service: "foo|bar"}').routes[0].matchers), [['service', '=~', '^(?:foo|bar)$']]);
    });
    it('reads several matchers from one line', () => {
      assert.deepEqual(plain(read('  routes:', `    - matchers: ['{b="2", a!~"x"}']`).routes[0].matchers), [
        ['a', '!~', 'x'],
        ['b', '=', '2'],
      ]);
    });
    it('sorts by name, then value, then operator', () => {
      const matchers = read('  routes:', '    - matchers: [\'z="1"\', \'a!="2"\', \'a="2"\', \'a=~"1"\']').routes[0].matchers;
      assert.deepEqual(plain(matchers), [
        ['a', '=~', '1'],
        ['a', '=', '2'],
        ['a', '!=', '2'],
        ['z', '=', '1'],
      ]);
    });
    it('reads YAML 1.1 values as Alertmanager does', () => {
      const child = read('  routes:', '    - match: {enabled: yes}', '      continue: yes').routes[0];
      assert.deepEqual(plain(child.matchers), [['enabled', '=', 'yes']]);
      assert.equal(child.continue, true);
    });
    it('rejects a match key that is not a classic label name', () => {
      rejects(route('  routes:', '    - match:', '        foo-bar: x'), 'alertmanager.yml:5: route.routes[0].match.foo-bar: invalid label name "foo-bar"');
      rejects(route('  routes:', '    - match_re:', '        1x: y'), 'alertmanager.yml:5: route.routes[0].match_re.1x: invalid label name "1x"');
    });
    it('rejects a bad matcher line, passing on the parser message', () => {
      const error = failure(route('  routes:', '    - matchers:', '        - "=x"'));
      assert.equal(error.path, 'route.routes[0].matchers[0]');
      assert.equal(error.line, 5);
      assert.notEqual(error.problem, '');
      assert.equal(error.message, `alertmanager.yml:5: route.routes[0].matchers[0]: ${error.problem}`);
    });
    it('rejects a bad match_re regex', () => {
      const error = failure(route('  routes:', '    - match_re:', '        a: "("'));
      assert.equal(error.path, 'route.routes[0].match_re.a');
      assert.equal(error.line, 5);
      assert.notEqual(error.problem, '');
    });
    it('rejects a match value that is not a string', () => {
      rejects(route('  routes:', '    - match:', '        a: [1]'), 'alertmanager.yml:5: route.routes[0].match.a: expected a string');
    });
  });

  it('rejects routes that are not a list', () => {
    rejects(route('  routes:', '    receiver: b'), 'alertmanager.yml:3: route.routes: expected a list');
  });
  it('rejects continue that is not a boolean', () => {
    rejects(route('  routes:', '    - continue: maybe'), 'alertmanager.yml:4: route.routes[0].continue: expected true or false');
  });

  describe('warnings', () => {
    it('warns where repeat_interval is set below group_interval', () => {
      const config = parseConfig(route('  repeat_interval: 1m', '  routes:', '    - receiver: b', '    - group_interval: 2h', '      repeat_interval: 3h'), 'alertmanager.yml');
      assert.deepEqual(config.warnings, [
        'alertmanager.yml:1: route: repeat_interval (1m) is less than group_interval (5m): notifications will not repeat until the next group_interval',
      ]);
    });
    it('warns on the child that sets it, not the ones that inherit it', () => {
      const config = parseConfig(route('  routes:', '    - group_interval: 5h', '      routes:', '        - receiver: b'), 'alertmanager.yml');
      assert.deepEqual(config.warnings, [
        'alertmanager.yml:4: route.routes[0]: repeat_interval (4h) is less than group_interval (5h): notifications will not repeat until the next group_interval',
      ]);
    });
  });
});

describe('parseConfig: receivers', () => {
  function receivers(...lines: string[]): string {
    return yaml('route:', '  receiver: a', 'receivers:', ...lines);
  }

  function webhook(...lines: string[]): string {
    return receivers('  - name: a', '    webhook_configs:', ...lines);
  }

  function parseWebhook(...lines: string[]): Config['receivers'][number]['webhookConfigs'][number] {
    return parseConfig(webhook(...lines), FILE).receivers[0].webhookConfigs[0];
  }

  it('rejects duplicate names', () => {
    rejects(receivers('  - name: a', '  - name: a'), 'alertmanager.yml:5: receivers[1].name: receiver name "a" is not unique');
  });
  it('rejects a receiver name holding a NUL byte, which the Redis store uses as a separator', () => {
    rejects(receivers('  - name: a', '  - name: "b\\0c"'), 'alertmanager.yml:5: receivers[1].name: a receiver name cannot hold a NUL byte');
  });
  it('rejects a receiver without a name', () => {
    rejects(receivers('  - name: a', '  - webhook_configs: []'), 'alertmanager.yml:5: receivers[1]: a receiver needs a name');
  });
  for (const integration of ['slack_configs', 'email_configs', 'pagerduty_configs', 'opsgenie_configs', 'msteams_configs']) {
    it(`rejects ${integration}: Grouper sends only webhooks`, () => {
      rejects(
        receivers('  - name: a', '  - name: b', `    ${integration}:`, '      - send_resolved: true'),
        `alertmanager.yml:6: receivers[1].${integration}: not supported: Grouper sends only webhook notifications`,
      );
    });
  }
  it('accepts an empty list of another integration', () => {
    assert.deepEqual(parseConfig(receivers('  - name: a', '    slack_configs: []'), 'alertmanager.yml').receivers, [{ name: 'a', webhookConfigs: [] }]);
  });
  it('rejects an unknown receiver field', () => {
    rejects(receivers('  - name: a', '    webhooks: []'), 'alertmanager.yml:5: receivers[0].webhooks: unknown field');
  });

  describe('webhook_configs', () => {
    it('needs url or url_file', () => {
      rejects(webhook('      - send_resolved: true'), 'alertmanager.yml:6: receivers[0].webhook_configs[0]: one of url or url_file is required');
    });
    it('takes only one of url and url_file', () => {
      rejects(webhook('      - url: http://x/', '        url_file: u.txt'), 'alertmanager.yml:7: receivers[0].webhook_configs[0].url_file: at most one of url and url_file may be set');
    });
    it('rejects a URL that is not http(s), without quoting it', () => {
      const error = rejects(webhook('      - url: ftp://user:pw@x/'), 'alertmanager.yml:6: receivers[0].webhook_configs[0].url: unsupported URL scheme "ftp": use http or https');
      assert.ok(!error.message.includes('pw@'));
      rejects(webhook('      - url: not a url'), 'alertmanager.yml:6: receivers[0].webhook_configs[0].url: not a valid URL');
    });
    it('rejects templated URLs', () => {
      rejects(webhook('      - url: "http://x/{{ .GroupLabels.team }}"'), 'alertmanager.yml:6: receivers[0].webhook_configs[0].url: templated URLs are not supported by Grouper');
    });
    it('rejects a url_file it cannot read', () => {
      assert.throws(() => parseConfig(webhook('      - url_file: missing.txt'), FILE), {
        message: `${FILE}:6: receivers[0].webhook_configs[0].url_file: cannot read "missing.txt": ENOENT`,
      });
    });
    it('checks the URL read from url_file', () => {
      assert.throws(() => parseConfig(webhook('      - url_file: password.txt'), FILE), {
        message: `${FILE}:6: receivers[0].webhook_configs[0].url_file: not a valid URL`,
      });
    });
    it('rejects a bad max_alerts', () => {
      rejects(webhook('      - url: http://x/', '        max_alerts: -1'), 'alertmanager.yml:7: receivers[0].webhook_configs[0].max_alerts: expected a whole number, 0 or more');
      rejects(webhook('      - url: http://x/', '        max_alerts: "10"'), 'alertmanager.yml:7: receivers[0].webhook_configs[0].max_alerts: expected a whole number, 0 or more');
    });
    it('rejects a bad timeout and send_resolved', () => {
      rejects(webhook('      - url: http://x/', '        timeout: soon'), 'alertmanager.yml:7: receivers[0].webhook_configs[0].timeout: not a valid duration "soon"');
      rejects(webhook('      - url: http://x/', '        send_resolved: sometimes'), 'alertmanager.yml:7: receivers[0].webhook_configs[0].send_resolved: expected true or false');
    });
    it('rejects a custom payload', () => {
      rejects(webhook('      - url: http://x/', '        payload: {a: b}'), 'alertmanager.yml:7: receivers[0].webhook_configs[0].payload: not supported by Grouper: webhooks send the Alertmanager payload');
    });
    it('rejects an empty list item', () => {
      rejects(webhook('      -'), 'alertmanager.yml:6: receivers[0].webhook_configs[0]: empty list item');
    });
  });

  describe('http_config', () => {
    const at = 'receivers[0].webhook_configs[0].http_config';

    function http(...lines: string[]): string {
      return webhook('      - url: http://x/', '        http_config:', ...lines.map((line) => `          ${line}`));
    }

    it('reads authorization with a custom type', () => {
      assert.deepEqual(parseWebhook('      - url: http://x/', '        http_config:', '          authorization: {type: Token, credentials: abc}').httpConfig, {
        authorization: { type: 'Token', credentials: 'abc' },
        tlsInsecureSkipVerify: false,
        followRedirects: true,
      });
    });
    it('rejects basic_auth together with a bearer token', () => {
      rejects(http('basic_auth: {username: u, password: p}', 'bearer_token: t'), `alertmanager.yml:7: ${at}: at most one of basic_auth and authorization (or bearer_token) may be set`);
    });
    it('rejects authorization together with bearer_token', () => {
      rejects(http('authorization: {credentials: c}', 'bearer_token: t'), `alertmanager.yml:9: ${at}.bearer_token: authorization and bearer_token cannot both be set`);
    });
    it('rejects bearer_token together with bearer_token_file', () => {
      rejects(http('bearer_token: t', 'bearer_token_file: token.txt'), `alertmanager.yml:9: ${at}.bearer_token_file: at most one of bearer_token and bearer_token_file may be set`);
    });
    it('rejects authorization of type basic', () => {
      rejects(http('authorization: {type: Basic, credentials: c}'), `alertmanager.yml:8: ${at}.authorization.type: authorization type cannot be "basic": use basic_auth`);
    });
    it('rejects password together with password_file', () => {
      rejects(http('basic_auth:', '  username: u', '  password: p', '  password_file: password.txt'), `alertmanager.yml:11: ${at}.basic_auth.password_file: at most one of password and password_file may be set`);
    });
    it('rejects HTTP features Grouper lacks', () => {
      rejects(http('oauth2: {client_id: x}'), `alertmanager.yml:8: ${at}.oauth2: not supported by Grouper`);
      rejects(http('proxy_url: http://proxy:3128'), `alertmanager.yml:8: ${at}.proxy_url: not supported by Grouper`);
      rejects(
        http('tls_config:', '  ca_file: /etc/ca.pem'),
        `alertmanager.yml:9: ${at}.tls_config.ca_file: not supported by Grouper (of tls_config only insecure_skip_verify is)`,
      );
    });
    it('rejects unknown fields', () => {
      rejects(http('basic_auth: {user: u}'), `alertmanager.yml:8: ${at}.basic_auth.user: unknown field`);
    });
    it('hides inline credentials in original', () => {
      const config = parseConfig(http('authorization: {credentials: very-secret}'), 'alertmanager.yml');
      assert.ok(!config.original.includes('very-secret'));
      assert.equal(parse(config.original).receivers[0].webhook_configs[0].http_config.authorization.credentials, '<secret>');
    });
  });
});

describe('parseConfig: YAML anchors and merge keys', () => {
  it('follows aliases and `<<` merges, keys written in place winning', () => {
    const config = parseConfig(
      yaml(
        'route:',
        '  receiver: a',
        '  routes:',
        '    - &child',
        '      receiver: b',
        '      group_wait: 1s',
        '      group_interval: 2m',
        '    - <<: *child',
        '      group_interval: 3m',
        'receivers:',
        '  - name: a',
        '    webhook_configs:',
        '      - url: &hook http://127.0.0.1:9/secret-path',
        '  - name: b',
        '    webhook_configs:',
        '      - url: *hook',
      ),
      'alertmanager.yml',
    );
    const [first, second] = config.route.routes;
    assert.deepEqual([first.receiver, first.groupWait, first.groupInterval], ['b', 1000, 120_000]);
    assert.deepEqual([second.receiver, second.groupWait, second.groupInterval], ['b', 1000, 180_000]);
    assert.equal(config.receivers[1].webhookConfigs[0].url, 'http://127.0.0.1:9/secret-path');
    assert.ok(!config.original.includes('secret-path'));
  });

  it('rejects unknown fields brought in by a merge', () => {
    rejects(
      yaml('route:', '  receiver: a', '  routes:', '    - &child', '      receiver: a', '    - <<: {recever: a}', 'receivers: [{name: a}]'),
      'alertmanager.yml:6: route.routes[1].recever: unknown field',
    );
  });
});
