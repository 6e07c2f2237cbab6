import {
  ArgumentsHost,
  BadRequestException,
  Catch,
  HttpException,
  HttpStatus,
  Logger,
  type ExceptionFilter,
  type ValidationError,
} from '@nestjs/common';
import type { ApiErrorBody, ValidationIssue } from '@loopgate/contracts';
import { ThrottledError, UserError } from './errors';

const STATUS_CODES: Record<number, string> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE',
  429: 'TOO_MANY_REQUESTS',
  503: 'UNAVAILABLE',
};

/** class-validator constraint names become stable upper-snake codes: `isInt` → `IS_INT`. */
function constraintCode(constraint: string): string {
  if (constraint === 'whitelistValidation') return 'UNKNOWN_FIELD';
  if (constraint === 'nestedValidation') return 'INVALID_NESTED';
  return constraint.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Flattens class-validator errors into issues with JSON paths such as `$.object.id`. */
export function validationIssues(errors: ValidationError[], parent = '$'): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const error of errors) {
    const pathHere = /^\d+$/.test(error.property) ? `${parent}[${error.property}]` : `${parent}.${error.property}`;
    for (const [constraint, message] of Object.entries(error.constraints ?? {})) {
      issues.push({ code: constraintCode(constraint), path: pathHere, message });
    }
    issues.push(...validationIssues(error.children ?? [], pathHere));
  }
  return issues;
}

/** The ValidationPipe's factory: a 400 with code VALIDATION_FAILED and one issue per bad field. */
export function validationException(errors: ValidationError[]): UserError {
  const issues = validationIssues(errors);
  return new UserError(
    'VALIDATION_FAILED',
    `request is invalid: ${issues.map((i) => `${i.path} ${i.code}`).join(', ')}`,
    400,
    issues,
  );
}

/** The path of a request's URL, without its query. */
export function requestPath(url: string | undefined): string {
  return (url ?? '/').split('?')[0];
}

/** Every error leaves the API as `{ statusCode, code, path, message, issues? }`; bugs are logged, not leaked. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  catch(exception: unknown, host: ArgumentsHost): void {
    const response = host.switchToHttp().getResponse<{
      status(n: number): { json(b: unknown): void };
      setHeader(name: string, value: string): void;
      headersSent: boolean;
    }>();
    const request = host.switchToHttp().getRequest<{ originalUrl?: string; url?: string }>();
    const body: ApiErrorBody = { ...this.toBody(exception), path: requestPath(request.originalUrl ?? request.url) };
    if (response.headersSent) return;
    if (exception instanceof ThrottledError) response.setHeader('Retry-After', String(exception.retryAfterSeconds));
    response.status(body.statusCode).json(body);
  }

  private toBody(exception: unknown): Omit<ApiErrorBody, 'path'> {
    if (exception instanceof UserError) {
      return {
        statusCode: exception.status,
        code: exception.code,
        message: exception.message,
        ...(exception.issues.length ? { issues: exception.issues } : {}),
      };
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const raw = exception.getResponse();
      const given = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
      const code = typeof given.code === 'string' ? given.code : this.codeFor(exception, status);
      const message = typeof given.message === 'string' ? given.message : exception.message;
      return { statusCode: status, code, message };
    }
    // body-parser errors carry `type` and `status` but are not HttpExceptions.
    const parserError = exception as { type?: string; status?: number; message?: string };
    if (parserError?.type === 'entity.parse.failed')
      return { statusCode: 400, code: 'MALFORMED_JSON', message: 'request body is not valid JSON' };
    if (parserError?.type === 'entity.too.large')
      return { statusCode: 413, code: 'PAYLOAD_TOO_LARGE', message: 'request body is too large' };
    if (typeof parserError?.status === 'number' && parserError.status >= 400 && parserError.status < 500) {
      return {
        statusCode: parserError.status,
        code: STATUS_CODES[parserError.status] ?? 'BAD_REQUEST',
        message: parserError.message ?? 'bad request',
      };
    }
    this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    return { statusCode: HttpStatus.INTERNAL_SERVER_ERROR, code: 'INTERNAL', message: 'internal error' };
  }

  private codeFor(exception: HttpException, status: number): string {
    if (exception instanceof BadRequestException && /JSON/i.test(exception.message)) return 'MALFORMED_JSON';
    return STATUS_CODES[status] ?? (status >= 500 ? 'INTERNAL' : 'BAD_REQUEST');
  }
}
