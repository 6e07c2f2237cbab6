import { Logger } from '@nestjs/common';
import type { OpenAPIObject, OperationObject } from '@nestjs/swagger';
import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiErrorBody } from '@loopgate/contracts';
import { requestPath } from '../common/http-errors';

const DOCUMENT_ID = 'loopgate-api.json';
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

/** An answer the document does not describe. */
export interface ContractViolation {
  method: string;
  path: string;
  status: number;
  problem: string;
}

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  operation: OperationObject;
}

const pointer = (...parts: string[]) => parts.map((p) => p.replace(/~/g, '~0').replace(/\//g, '~1')).join('/');

/**
 * Validates answers against the OpenAPI document: the status must be one the operation declares
 * (exactly, or by its `4XX`/`5XX` range) and a JSON body must match that response's schema.
 */
export class ResponseContract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });
  private readonly routes: Route[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(document: OpenAPIObject) {
    addFormats(this.ajv);
    this.ajv.addSchema({ ...document, $id: DOCUMENT_ID } as object);
    this.routes = Object.entries(document.paths).flatMap(([template, item]) =>
      METHODS.flatMap((method) => {
        const operation = item[method] as OperationObject | undefined;
        if (!operation) return [];
        const pattern = new RegExp(
          `^${template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}/?$`,
        );
        return [{ method: method.toUpperCase(), template, pattern, operation }];
      }),
    );
  }

  /** The documented operation serving this request, if any. */
  private route(method: string, path: string): Route | undefined {
    const wanted = method === 'HEAD' ? ['HEAD', 'GET'] : [method];
    for (const m of wanted) {
      const found = this.routes.find((r) => r.method === m && r.pattern.test(path));
      if (found) return found;
    }
    return undefined;
  }

  /** `POST /api/v1/writebacks/{commandId}/approve`: the documented operation a request reaches. */
  operationOf(method: string, path: string): string | undefined {
    const route = this.route(method, path);
    return route && `${route.method} ${route.template}`;
  }

  /** Undefined when the answer is what the document says; otherwise what is wrong with it. */
  check(method: string, path: string, status: number, contentType: string, body: unknown): string | undefined {
    const route = this.route(method, path);
    if (!route) return undefined;
    const responses = route.operation.responses ?? {};
    const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
    if (!key) return `${status} is not a documented answer of ${route.method} ${route.template}`;
    const media = contentType.split(';')[0].trim();
    const content = (responses[key] as { content?: Record<string, unknown> }).content;
    if (media !== 'application/json' || body === undefined) return undefined;
    if (!content?.['application/json'])
      return `${status} of ${route.method} ${route.template} is not documented as JSON`;
    const ref = `${DOCUMENT_ID}#/${pointer('paths', route.template, route.method.toLowerCase(), 'responses', key, 'content', 'application/json', 'schema')}`;
    let validate = this.validators.get(ref);
    if (!validate) {
      validate = this.ajv.getSchema(ref);
      if (!validate) return `no schema at ${ref}`;
      this.validators.set(ref, validate);
    }
    if (validate(body)) return undefined;
    return (validate.errors ?? [])
      .slice(0, 5)
      .map((e) => `${e.instancePath || '$'} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ''}`)
      .join('; ');
  }
}

/**
 * Development and test only (`LOOPGATE_CHECK_RESPONSES=1`): every JSON answer of the API is checked
 * against the document before it leaves; one that does not match is logged and replaced by a 500
 * `RESPONSE_CONTRACT`, so a test that meets it fails where the document and the code part ways.
 */
export function responseContractCheck(contractOf: () => ResponseContract): RequestHandler {
  const logger = new Logger('ResponseContract');
  return (req: Request, res: Response, next: NextFunction) => {
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      const path = requestPath(req.originalUrl);
      const problem = contractOf().check(req.method, path, res.statusCode, 'application/json', body);
      if (!problem) return json(body);
      logger.error(`${req.method} ${path} ${res.statusCode}: ${problem}`);
      res.status(500);
      const refusal: ApiErrorBody = {
        statusCode: 500,
        code: 'RESPONSE_CONTRACT',
        path,
        message: `the answer (${req.method} ${path}) does not match the OpenAPI document: ${problem}`,
      };
      return json(refusal);
    };
    next();
  };
}
