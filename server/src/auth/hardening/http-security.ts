import type { ApiErrorBody } from '@loopgate/contracts';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';
import type { LoopgateConfig } from '../../config/config';
import { requestPath } from '../../common/http-errors';
import { NODE_RED_ADMIN_ROOT } from '../../red/node-red';
import { findInputProblem } from './forbidden-keys';

const BODY_TYPES = ['application/json', 'application/x-www-form-urlencoded'];

function refuse(res: Response, body: Omit<ApiErrorBody, 'path'>): void {
  const refusal: ApiErrorBody = { ...body, path: requestPath(res.req.originalUrl) };
  res.status(body.statusCode).json(refusal);
}

/**
 * Checks what the body parsers produced before any handler sees it: a body of another media
 * type (415), forbidden keys such as `__proto__` and over-deep nesting in body or query (400).
 */
export function inputHardening(): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const declaresBody =
      Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
    if (declaresBody && !req.is(BODY_TYPES)) {
      return refuse(res, {
        statusCode: 415,
        code: 'UNSUPPORTED_MEDIA_TYPE',
        message: `request bodies must be ${BODY_TYPES.join(' or ')}`,
      });
    }
    const problem = findInputProblem(req.body, '$') ?? findInputProblem(req.query, '$query');
    if (problem)
      return refuse(res, { statusCode: 400, code: problem.code, message: problem.message, issues: [problem] });
    next();
  };
}

/** Security headers: a strict policy for the API and console; Node-RED's editor needs inline scripts. */
function securityHeaders(tls: boolean): RequestHandler {
  const strict = helmet({
    contentSecurityPolicy: { useDefaults: true, directives: { 'upgrade-insecure-requests': tls ? [] : null } },
    strictTransportSecurity: tls,
  });
  const editor = helmet({ contentSecurityPolicy: false, strictTransportSecurity: tls });
  return (req, res, next) =>
    (req.path.startsWith(`${NODE_RED_ADMIN_ROOT}/`) || req.path === NODE_RED_ADMIN_ROOT ? editor : strict)(
      req,
      res,
      next,
    );
}

/**
 * Security headers for every response and CORS, closed unless `LOOPGATE_CORS_ORIGINS` opens it.
 * Call before the body parsers; `inputHardening` goes after them.
 */
export function applyHttpSecurity(
  app: NestExpressApplication,
  config: Pick<LoopgateConfig, 'corsOrigins' | 'tlsCert'>,
): void {
  app.use(securityHeaders(Boolean(config.tlsCert)));
  if (config.corsOrigins.length) {
    app.enableCors({
      origin: config.corsOrigins,
      credentials: true,
      methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'],
      exposedHeaders: ['Retry-After', 'RateLimit-Limit', 'RateLimit-Remaining', 'RateLimit-Reset'],
      maxAge: 600,
    });
  }
}
