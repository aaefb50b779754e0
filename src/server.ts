import { randomUUID } from 'node:crypto';
import Fastify, { LogController } from 'fastify';
import { app } from './app.ts';
import { ConfigError } from './config/config-error.ts';
import { loadConfig } from './config/load-config.ts';
import { parseSettings, SettingsError, type Settings } from './config/settings.ts';
import { createLogger } from './telemetry/logger.ts';

function settingsOrExit(): Settings {
  try {
    const parsed = parseSettings(process.argv.slice(2), process.env);
    if ('help' in parsed) {
      process.stdout.write(parsed.help);
      process.exit(0);
    }
    return parsed;
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    process.stderr.write(`grouper: ${err.message}\nRun with --help for the list of flags.\n`);
    process.exit(2);
  }
}

const settings = settingsOrExit();
const logger = createLogger(settings.logLevel);

let config;
try {
  config = await loadConfig(settings.configFile);
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  logger.fatal({ file: err.file, path: err.path, line: err.line }, err.message);
  process.exit(1);
}
for (const warning of config.warnings) logger.warn({ file: config.file }, warning);

const server = Fastify({
  loggerInstance: logger,
  bodyLimit: settings.maxBodyBytes,
  genReqId: (req) => {
    const given = req.headers['x-request-id'];
    return typeof given === 'string' && given.length > 0 && given.length <= 128 ? given : randomUUID();
  },
  logController: new LogController({
    requestIdLogLabel: 'requestId',
    disableRequestLogging: settings.logLevel !== 'debug',
  }),
  connectionTimeout: 30_000,
  requestTimeout: 60_000,
  keepAliveTimeout: 75_000,
});
await server.register(app, { settings, config });

let closing = false;
async function shutdown(signal: string): Promise<void> {
  if (closing) return;
  closing = true;
  logger.info({ signal }, 'shutting down: no new claims, finishing flushes in progress');
  const force = setTimeout(() => {
    logger.error('graceful shutdown timed out; exiting');
    process.exit(1);
  }, settings.shutdownTimeoutMs + 5_000);
  force.unref();
  try {
    await server.close();
    logger.info('shut down cleanly');
    process.exit(0);
  } catch (err) {
    logger.error({ err }, 'error while shutting down');
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGHUP', () => void server.reloadConfig().catch(() => {}));

try {
  await server.listen({ host: settings.listen.host, port: settings.listen.port });
} catch (err) {
  logger.fatal({ err }, 'cannot listen');
  process.exit(1);
}
