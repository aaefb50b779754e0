import { pino, type BaseLogger, type LoggerOptions, type Logger as PinoLogger } from 'pino';

/** What the engine logs through: any pino logger, Fastify's included. */
export type Logger = Pick<BaseLogger, 'debug' | 'info' | 'warn' | 'error' | 'fatal'>;

/** Credentials never reach the log: auth headers, passwords, and the userinfo of URLs. */
export const redactPaths = [
  'req.headers.authorization',
  'req.headers.cookie',
  '*.password',
  '*.credentials',
  '*.bearerToken',
  '*.authorization',
];

export function loggerOptions(level: string): LoggerOptions {
  const options: LoggerOptions = { level, redact: { paths: redactPaths, censor: '<secret>' } };
  if (process.stdout.isTTY) options.transport = { target: 'pino-pretty' };
  return options;
}

export function createLogger(level: string): PinoLogger {
  return pino(loggerOptions(level));
}

export const silentLogger = pino({ level: 'silent' });
