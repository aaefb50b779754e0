import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { describe, it } from 'node:test';
import { SettingsError, parseSettings } from '../../src/config/settings.ts';
import type { Settings } from '../../src/config/settings.ts';

function settings(argv: string[], env: Record<string, string | undefined> = {}): Settings {
  const result = parseSettings(argv, env);
  assert.ok(!('help' in result), 'expected settings, got help');
  return result;
}

function rejects(argv: string[], env: Record<string, string | undefined>, message: string): void {
  assert.throws(() => parseSettings(argv, env), (error: unknown) => {
    assert.ok(error instanceof SettingsError);
    assert.equal(error.message, message);
    return true;
  });
}

describe('parseSettings', () => {
  it('has defaults that need nothing', () => {
    assert.deepEqual(settings([]), {
      configFile: 'alertmanager.yml',
      listen: { host: '0.0.0.0', port: 9093 },
      externalURL: `http://${hostname()}:9093`,
      logLevel: 'info',
      maxBodyBytes: 4 * 1024 * 1024,
      shutdownTimeoutMs: 30_000,
      leaseMs: 15_000,
      pollMs: 250,
      alertsGcIntervalMs: 1_800_000,
      limits: { alertsPerGroup: 0, groupsPerRoute: 0, alerts: 0 },
    });
  });

  it('reads --flag=value and --flag value', () => {
    const result = settings(['--config.file=/etc/am.yml', '--log.level', 'debug', '--shutdown.timeout=1m30s', '--web.max-body-bytes', '1024']);
    assert.equal(result.configFile, '/etc/am.yml');
    assert.equal(result.logLevel, 'debug');
    assert.equal(result.shutdownTimeoutMs, 90_000);
    assert.equal(result.maxBodyBytes, 1024);
  });

  it('reads GROUPER_* environment variables', () => {
    const result = settings([], {
      GROUPER_CONFIG_FILE: 'from-env.yml',
      GROUPER_WEB_LISTEN_ADDRESS: '127.0.0.1:8080',
      GROUPER_WEB_EXTERNAL_URL: 'https://alerts.example.com/grouper/',
      GROUPER_LOG_LEVEL: 'warn',
      GROUPER_WEB_MAX_BODY_BYTES: '2048',
      GROUPER_SHUTDOWN_TIMEOUT: '5s',
    });
    assert.deepEqual(result, {
      configFile: 'from-env.yml',
      listen: { host: '127.0.0.1', port: 8080 },
      externalURL: 'https://alerts.example.com/grouper',
      logLevel: 'warn',
      maxBodyBytes: 2048,
      shutdownTimeoutMs: 5000,
      leaseMs: 15_000,
      pollMs: 250,
      alertsGcIntervalMs: 1_800_000,
      limits: { alertsPerGroup: 0, groupsPerRoute: 0, alerts: 0 },
    });
  });

  it('reads the scheduler timings and refuses a zero lease', () => {
    const result = settings(['--scheduler.lease-duration=5s'], { GROUPER_SCHEDULER_POLL_INTERVAL: '100ms' });
    assert.equal(result.leaseMs, 5_000);
    assert.equal(result.pollMs, 100);
    assert.throws(() => settings(['--scheduler.lease-duration=0s']), /--scheduler\.lease-duration: must be greater than 0/);
  });

  it("reads Alertmanager's --alerts.gc-interval and refuses zero", () => {
    assert.equal(settings(['--alerts.gc-interval=5m']).alertsGcIntervalMs, 300_000);
    assert.equal(settings([], { GROUPER_ALERTS_GC_INTERVAL: '90s' }).alertsGcIntervalMs, 90_000);
    assert.throws(() => settings(['--alerts.gc-interval=0s']), /--alerts\.gc-interval: must be greater than 0/);
  });

  it('reads the limits, 0 meaning unlimited', () => {
    const result = settings(['--limits.alerts-per-group=1000', '--limits.alerts', '0'], {
      GROUPER_LIMITS_GROUPS_PER_ROUTE: '50',
      GROUPER_LIMITS_ALERTS: '7',
    });
    assert.deepEqual(result.limits, { alertsPerGroup: 1000, groupsPerRoute: 50, alerts: 0 });
  });

  it('rejects a limit that is not a whole number', () => {
    rejects(['--limits.alerts-per-group=-1'], {}, '--limits.alerts-per-group: "-1" is not a whole number (0 = unlimited)');
    rejects([], { GROUPER_LIMITS_GROUPS_PER_ROUTE: '1e3' }, 'GROUPER_LIMITS_GROUPS_PER_ROUTE: "1e3" is not a whole number (0 = unlimited)');
    rejects(['--limits.alerts=9007199254740993'], {}, '--limits.alerts: "9007199254740993" is not a whole number (0 = unlimited)');
  });

  it('lets a flag win over its environment variable', () => {
    assert.equal(settings(['--log.level=error'], { GROUPER_LOG_LEVEL: 'debug' }).logLevel, 'error');
  });

  it('treats an empty environment variable as unset', () => {
    assert.equal(settings([], { GROUPER_LOG_LEVEL: '' }).logLevel, 'info');
  });

  describe('--web.listen-address', () => {
    it('reads :port as every interface', () => {
      assert.deepEqual(settings(['--web.listen-address=:9094']).listen, { host: '0.0.0.0', port: 9094 });
    });
    it('reads a bracketed IPv6 host', () => {
      assert.deepEqual(settings(['--web.listen-address=[::1]:9093']).listen, { host: '::1', port: 9093 });
    });
    it('accepts port 0 (an OS-assigned port)', () => {
      assert.deepEqual(settings(['--web.listen-address=127.0.0.1:0']).listen, { host: '127.0.0.1', port: 0 });
    });
    it('derives the default external URL from the port', () => {
      assert.equal(settings(['--web.listen-address=:8080']).externalURL, `http://${hostname()}:8080`);
    });
    for (const bad of ['9093', 'localhost', 'host:port', 'host:70000', '::1:9093']) {
      it(`rejects ${bad}`, () => {
        rejects([`--web.listen-address=${bad}`], {}, `--web.listen-address: ${JSON.stringify(bad)} is not host:port`);
      });
    }
  });

  describe('--web.external-url', () => {
    it('drops the trailing slash of the path as Alertmanager does', () => {
      assert.equal(settings(['--web.external-url=http://am.example.com:9093/']).externalURL, 'http://am.example.com:9093');
      assert.equal(settings(['--web.external-url=http://am.example.com/prefix//']).externalURL, 'http://am.example.com/prefix');
    });
    it('rejects other schemes', () => {
      rejects(['--web.external-url=ftp://x'], {}, '--web.external-url: the URL must be http or https');
    });
    it('rejects what is not a URL, naming the environment variable it came from', () => {
      rejects([], { GROUPER_WEB_EXTERNAL_URL: 'am.example.com' }, 'GROUPER_WEB_EXTERNAL_URL: "am.example.com" is not a URL');
    });
  });

  it('rejects an unknown log level', () => {
    rejects(['--log.level=verbose'], {}, '--log.level: "verbose" is not one of debug, info, warn, error');
  });

  it('rejects a bad body limit', () => {
    rejects(['--web.max-body-bytes=4MiB'], {}, '--web.max-body-bytes: "4MiB" is not a whole number above 0');
    rejects(['--web.max-body-bytes=0'], {}, '--web.max-body-bytes: "0" is not a whole number above 0');
  });

  it('rejects a bad shutdown timeout', () => {
    rejects([], { GROUPER_SHUTDOWN_TIMEOUT: '30' }, 'GROUPER_SHUTDOWN_TIMEOUT: not a valid duration "30"');
  });

  describe('command line', () => {
    it('rejects an unknown flag, naming it', () => {
      rejects(['--cluster.peer=x:9094'], {}, 'unknown flag --cluster.peer (see --help)');
    });
    it('rejects a flag without a value', () => {
      rejects(['--config.file'], {}, '--config.file needs a value');
      rejects(['--config.file', '--log.level=debug'], {}, '--config.file needs a value');
    });
    it('rejects a flag given twice', () => {
      rejects(['--log.level=debug', '--log.level=info'], {}, '--log.level is given more than once');
    });
    it('rejects a positional argument', () => {
      rejects(['alertmanager.yml'], {}, 'unexpected argument "alertmanager.yml" (see --help)');
    });
  });

  describe('--help', () => {
    for (const flag of ['--help', '-h']) {
      it(`${flag} returns help listing every flag with its variable and default`, () => {
        const result = parseSettings(['--bogus', flag], {});
        assert.ok('help' in result);
        for (const [name, env] of [
          ['--config.file', 'GROUPER_CONFIG_FILE'],
          ['--web.listen-address', 'GROUPER_WEB_LISTEN_ADDRESS'],
          ['--web.external-url', 'GROUPER_WEB_EXTERNAL_URL'],
          ['--web.max-body-bytes', 'GROUPER_WEB_MAX_BODY_BYTES'],
          ['--log.level', 'GROUPER_LOG_LEVEL'],
          ['--shutdown.timeout', 'GROUPER_SHUTDOWN_TIMEOUT'],
          ['--storage.redis.url', 'GROUPER_STORAGE_REDIS_URL'],
          ['--storage.redis.sentinels', 'GROUPER_STORAGE_REDIS_SENTINELS'],
          ['--storage.redis.sentinel-master', 'GROUPER_STORAGE_REDIS_SENTINEL_MASTER'],
          ['--storage.redis.cluster-nodes', 'GROUPER_STORAGE_REDIS_CLUSTER_NODES'],
          ['--storage.redis.password', 'GROUPER_STORAGE_REDIS_PASSWORD'],
          ['--storage.redis.prefix', 'GROUPER_STORAGE_REDIS_PREFIX'],
          ['--limits.alerts-per-group', 'GROUPER_LIMITS_ALERTS_PER_GROUP'],
          ['--limits.groups-per-route', 'GROUPER_LIMITS_GROUPS_PER_ROUTE'],
          ['--limits.alerts', 'GROUPER_LIMITS_ALERTS'],
        ]) {
          assert.match(result.help, new RegExp(`${name}=<[^>]+>\\n.*\\n\\s+env ${env}\\b`), name);
        }
        for (const shown of ['default alertmanager.yml', 'default 0.0.0.0:9093', 'default info', 'default 30s', 'default 4194304', 'default grouper']) {
          assert.ok(result.help.includes(shown), shown);
        }
        for (const name of ['--limits.alerts-per-group', '--limits.groups-per-route', '--limits.alerts']) {
          const [, help, env] = new RegExp(`${name}=<count>\\n(.*)\\n(.*)`).exec(result.help) ?? [];
          assert.match(help, /0 = unlimited.*429/, `${name} says what 0 means and how a refusal is answered`);
          assert.match(env, /default 0$/, name);
        }
        assert.match(result.help, /--limits\.groups-per-route=<count>\n.*With Redis.*a second/, 'the soft limits say so');
      });
    }
  });

  describe('redis', () => {
    it('is absent without any storage.redis setting (memory store)', () => {
      assert.equal(settings([]).redis, undefined);
    });
    it('takes a URL', () => {
      assert.deepEqual(settings(['--storage.redis.url=redis://127.0.0.1:6379/0']).redis, {
        url: 'redis://127.0.0.1:6379/0',
        prefix: 'grouper',
        cachedSlots: 100_000,
      });
    });
    it('takes sentinels with a master name and a password', () => {
      assert.deepEqual(
        settings([], {
          GROUPER_STORAGE_REDIS_SENTINELS: 'a:26379, b:26380',
          GROUPER_STORAGE_REDIS_SENTINEL_MASTER: 'mymaster',
          GROUPER_STORAGE_REDIS_PASSWORD: 's3cret',
          GROUPER_STORAGE_REDIS_PREFIX: 'team-a',
        }).redis,
        {
          sentinels: [
            { host: 'a', port: 26379 },
            { host: 'b', port: 26380 },
          ],
          sentinelMaster: 'mymaster',
          password: 's3cret',
          prefix: 'team-a',
          cachedSlots: 100_000,
        },
      );
    });
    it('takes cluster nodes', () => {
      assert.deepEqual(settings(['--storage.redis.cluster-nodes', '10.0.0.1:7000,10.0.0.2:7000']).redis, {
        clusterNodes: [
          { host: '10.0.0.1', port: 7000 },
          { host: '10.0.0.2', port: 7000 },
        ],
        prefix: 'grouper',
        cachedSlots: 100_000,
      });
    });
    it('takes the number of cached slots, 0 turning the cache off', () => {
      assert.equal(settings(['--storage.redis.url=redis://x', '--storage.redis.cached-slots=0']).redis?.cachedSlots, 0);
      assert.equal(settings(['--storage.redis.url=redis://x'], { GROUPER_STORAGE_REDIS_CACHED_SLOTS: '250000' }).redis?.cachedSlots, 250_000);
      rejects(['--storage.redis.cached-slots=5'], {}, '--storage.redis.cached-slots: needs storage.redis.url, storage.redis.sentinels or storage.redis.cluster-nodes');
    });
    it('allows only one way to reach Redis', () => {
      rejects(
        ['--storage.redis.url=redis://x:6379'],
        { GROUPER_STORAGE_REDIS_CLUSTER_NODES: 'y:7000' },
        '--storage.redis.url and GROUPER_STORAGE_REDIS_CLUSTER_NODES: give only one way to reach Redis',
      );
    });
    it('needs a master name with sentinels, and sentinels with a master name', () => {
      rejects(['--storage.redis.sentinels=a:26379'], {}, '--storage.redis.sentinels: needs storage.redis.sentinel-master');
      rejects(
        ['--storage.redis.url=redis://x:6379', '--storage.redis.sentinel-master=m'],
        {},
        '--storage.redis.sentinel-master: needs storage.redis.sentinels',
      );
    });
    it('rejects Redis options without a Redis to use them on', () => {
      rejects(
        [],
        { GROUPER_STORAGE_REDIS_PASSWORD: 'x' },
        'GROUPER_STORAGE_REDIS_PASSWORD: needs storage.redis.url, storage.redis.sentinels or storage.redis.cluster-nodes',
      );
    });
    it('rejects a URL that is not redis:// or rediss://', () => {
      rejects(['--storage.redis.url=http://x:6379'], {}, '--storage.redis.url: the URL must start with redis:// or rediss://');
    });
    it('rejects a sentinel without a port', () => {
      rejects(
        ['--storage.redis.sentinels=a:26379,b', '--storage.redis.sentinel-master=m'],
        {},
        '--storage.redis.sentinels: "b" is not host:port',
      );
    });
    it('rejects a prefix that would break key hash tags', () => {
      rejects(['--storage.redis.url=redis://x', '--storage.redis.prefix={x}'], {}, '--storage.redis.prefix: the prefix must not contain spaces or braces');
    });
  });
});
